// The whole version matrix: every row of test/helpers/version-envs.ts (the oldest supported TRL,
// 0.19, 0.24, and the pin through --env), each quickstart trained in full through
// `trellis run --env`. `npm test` runs the rows marked ci with a few steps per stage. Writes the
// test runner's output to test/results/versions.txt, committed as the last full result.
//
//   npm run build && node scripts/test-versions.mjs
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const test = path.join(root, "dist", "test", "integration", "versions.test.js");
const started = new Date();
const run = spawnSync(process.execPath, ["--test", "--test-reporter=spec", test], {
  cwd: root,
  env: { ...process.env, TRELLIS_MATRIX: "full" },
  encoding: "utf8",
});
const out = `${run.stdout}${run.stderr}`;
process.stdout.write(out);
mkdirSync(path.join(root, "test", "results"), { recursive: true });
const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1);
const header = `TRL version matrix, full (whole quickstarts); started ${started.toISOString()}, ${minutes} min, exit ${run.status}; node ${process.version}\n\n`;
writeFileSync(path.join(root, "test", "results", "versions.txt"), header + out.replace(/\x1b\[[0-9;]*m/g, ""));
process.exit(run.status ?? 1);
