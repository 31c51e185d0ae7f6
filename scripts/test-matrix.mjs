// The heavy matrices that `npm test` (and so CI) runs only in part, run whole with
// TRELLIS_MATRIX=full. Each writes the test runner's summary to test/results/<name>.txt, committed
// as its last full result.
//
//   npm run build && node scripts/test-matrix.mjs [name...]     (default: every matrix)
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const MATRICES = {
  // trellis compare with generations on every data shape
  "compare-shapes": "integration/compare-shapes.test.js",
  // trellis compare of the quickstarts with a tiny reward model and lm-evaluation-harness on the
  // local colour task (the lm-eval extra is installed the first time)
  "compare-scores": "integration/compare-scores.test.js",
  // every data shape trained with every trainer
  "data-shapes": "integration/data-shapes.test.js",
  // the quickstarts through run --env in environments of older transformers (4.53, 4.57) built with
  // pip, after the managed environment filled the shared caches ($TRELLIS_OLD_ENVS keeps them)
  envs: "integration/old-envs.test.js",
  // every imported config from the wild trained on the quickstart's model and data
  "imported-configs": "integration/import.test.js",
  // every config from the wild and gathered (test/fixtures/imports-gathered), KTO aside, imported
  // with the tiny model put in, checked as imported, and each DPO/ORPO one trained a few steps
  imports: "integration/import-gathered.test.js",
  // the launched-stage variants CI leaves out (torchrun, gloo), a hung collective among them
  launch: "integration/launch.test.js",
  // every arm on the main data shapes: stopped, resumed and reproduced; imported; compared
  journeys: "integration/journeys.test.js",
  // the reference-free methods' quickstarts (SimPO in CI; CPO too here)
  methods: "integration/methods.test.js",
  // --on HOST against a real sshd: the quickstart over ssh with a killed connection, then pull --model
  remote: "integration/remote-ssh.test.js",
  // the ORPO, SFT+DPO, CPO, SimPO and KTO quickstarts trained whole, padded and padding-free: the same loss curves
  "padding-free": "integration/padding-free.test.js",
  // every TRL row of test/helpers/version-envs.ts, each quickstart trained whole through run --env
  versions: "integration/versions.test.js",
};
const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(MATRICES);
let status = 0;
for (const name of names) {
  if (!MATRICES[name]) {
    console.error(`no matrix '${name}': ${Object.keys(MATRICES).join(", ")}`);
    process.exit(2);
  }
  const test = path.join(root, "dist", "test", MATRICES[name]);
  const started = new Date();
  const run = spawnSync(process.execPath, ["--test", "--test-reporter=spec", test], {
    cwd: root,
    env: { ...process.env, TRELLIS_MATRIX: "full" },
    encoding: "utf8",
  });
  const out = `${run.stdout}${run.stderr}`;
  process.stdout.write(out);
  mkdirSync(path.join(root, "test", "results"), { recursive: true });
  const header = `${name}, full matrix; started ${started.toISOString()}, exit ${run.status}; node ${process.version}\n\n`;
  writeFileSync(path.join(root, "test", "results", `${name}.txt`), header + out.replace(/\x1b\[[0-9;]*m/g, ""));
  status ||= run.status ?? 1;
}
process.exit(status);
