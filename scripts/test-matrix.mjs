// The heavy matrices that `npm test` (and so CI) runs only in part, run whole: every data shape
// trained with every trainer (test/results/data-shapes.txt), and the launched-stage variants CI
// leaves out, a hung collective among them (test/results/launch.txt). Each summary is committed
// as the last full result.
//
//   npm run build && node scripts/test-matrix.mjs [data-shapes|launch]
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const MATRICES = {
  "data-shapes": "data shapes x trainers, full matrix",
  launch: "launched stages (torchrun, gloo), full matrix",
};
const only = process.argv[2];
let status = 0;
for (const [name, title] of Object.entries(MATRICES)) {
  if (only && only !== name) continue;
  const test = path.join(root, "dist", "test", "integration", `${name}.test.js`);
  const started = new Date();
  const run = spawnSync(process.execPath, ["--test", "--test-reporter=spec", test], { cwd: root, env: { ...process.env, TRELLIS_MATRIX: "full" }, encoding: "utf8" });
  const out = `${run.stdout}${run.stderr}`;
  process.stdout.write(out);
  mkdirSync(path.join(root, "test", "results"), { recursive: true });
  const header = `${title}; started ${started.toISOString()}, exit ${run.status}; node ${process.version}\n\n`;
  writeFileSync(path.join(root, "test", "results", `${name}.txt`), header + out.replace(/\x1b\[[0-9;]*m/g, ""));
  status = status || (run.status ?? 1);
}
process.exit(status);
