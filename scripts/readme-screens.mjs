// Pastes the screen captures of the tmux tests (test/fixtures/screens/, rewritten by
// `UPDATE_SCREENS=1 node --test dist/test/integration/dashboard-*.test.js`) into docs/dashboard.md
// (once the README's; the name stayed):
// each `<!-- screen: NAME -->` line is followed by a fenced block that gets NAME's text.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const readme = path.join(root, "docs", "dashboard.md");
const text = readFileSync(readme, "utf8");
// The block's lines up to its closing fence, none of which is a fence itself (an empty block too).
const out = text.replace(/(<!-- screen: ([\w.-]+) -->\n```\n)(?:(?!```)[^\n]*\n)*```/g, (_, head, name) => {
  const screen = readFileSync(path.join(root, "test", "fixtures", "screens", name), "utf8").trimEnd();
  return `${head}${screen}\n\`\`\``;
});
writeFileSync(readme, out);
process.stdout.write(out === text ? "docs/dashboard.md screens unchanged\n" : "docs/dashboard.md screens updated\n");
