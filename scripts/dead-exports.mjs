// `node scripts/dead-exports.mjs`: exports nothing else reads, in the spirit of ts-prune but by
// name, without a dependency. A name exported from a file under src/ is listed when no other file
// under src/, test/, scripts/ or bench/ mentions it as a word: "unused" when its own file does not
// use it either (delete it), "used-locally" when only its own file does (drop the `export`).
// A name that happens to appear elsewhere counts as used, so the list errs on the short side.
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return walk(full);
    return /\.(c?ts|tsx|mjs|js)$/.test(name) ? [full] : [];
  });
const files = ["src", "test", "scripts", "bench"].flatMap((d) => walk(path.join(root, d)));
const text = new Map(files.map((f) => [f, readFileSync(f, "utf8")]));
const DECLARATION =
  /^export (?:default )?(?:async )?(?:function\*?|const|let|class|interface|type|enum|abstract class) (\w+)/gm;

let count = 0;
for (const file of files.filter((f) => f.startsWith(path.join(root, "src") + path.sep))) {
  const source = text.get(file);
  for (const [, name] of source.matchAll(DECLARATION)) {
    const word = new RegExp(`\\b${name}\\b`, "g");
    if (files.some((other) => other !== file && text.get(other).match(word))) continue;
    const local = source.match(word).length > 1 ? "used-locally" : "unused";
    console.log(`${path.relative(root, file)}\t${name}\t${local}`);
    count++;
  }
}
console.error(`${count} export(s) nothing else reads`);
