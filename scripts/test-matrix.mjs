// The heavy matrices that `npm test` (and so CI) runs only in part, run whole: every data shape
// trained with every trainer. Writes the test runner's summary to test/results/data-shapes.txt,
// which is committed as the last full result.
//
//   npm run build && node scripts/test-matrix.mjs
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const test = path.join(root, "dist", "test", "integration", "data-shapes.test.js");
const started = new Date();
const run = spawnSync(process.execPath, ["--test", "--test-reporter=spec", test], { cwd: root, env: { ...process.env, TRELLIS_MATRIX: "full" }, encoding: "utf8" });
const out = `${run.stdout}${run.stderr}`;
process.stdout.write(out);
mkdirSync(path.join(root, "test", "results"), { recursive: true });
const header = `data shapes x trainers, full matrix; started ${started.toISOString()}, exit ${run.status}; node ${process.version}\n\n`;
writeFileSync(path.join(root, "test", "results", "data-shapes.txt"), header + out.replace(/\x1b\[[0-9;]*m/g, ""));
process.exit(run.status ?? 1);
