// Benchmark: the time to the first training step on a larger data set, the first time and again.
// A plain TRL script run a second time in the same folder finds its tokenized data in the
// datasets cache. trellis renders each run into a folder of its own, and until the normalised
// data's fingerprint stopped depending on that folder (python/trellis_runtime/data.py), every run
// normalised and tokenized the whole set again; Node also re-read every row to check it and
// re-hashed the file. Here: the bundled colour pairs repeated to --rows rows (prompts made
// distinct), an ORPO stage of the tiny model, and three starts in turn, each stopped at its first
// step: `trellis run` on the new file, `trellis run` again, and the rendered script run again
// with plain python (its caches warm too).
//
//   npm run build && node bench/data-reuse.mjs [--rows 100000]
//
// Writes bench/results/data-reuse.json. What it shows: "again" costs about what the plain
// script's rerun costs, not what the first run did.
import { execFileSync } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { machine, round, toFirstStep } from "./lib.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "100000" },
    out: { type: "string", default: "bench/results/data-reuse.json" },
  },
});
const atStart = machine();
const trellis = path.join(root, "bin/trellis.js");
const python = JSON.parse(execFileSync(process.execPath, [trellis, "env", "doctor", "--json"], { encoding: "utf8" }))
  .python.path;
const work = mkdtempSync(path.join(tmpdir(), "trellis-data-reuse-"));
const colours = path.join(root, "recipes/data/colors-train.jsonl");

const pairs = readFileSync(colours, "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l));
const data = path.join(work, "pairs.jsonl");
const out = createWriteStream(data);
for (let i = 0; i < Number(values.rows); i++) {
  const p = pairs[i % pairs.length];
  if (!out.write(`${JSON.stringify({ ...p, prompt: `${p.prompt} (${i})` })}\n`)) await once(out, "drain");
}
out.end();
await once(out, "finish");
await sleep(2100); // a data file changed in the last 2 s is not cached (src/adapters/stamp-cache.ts)

const recipe = path.join(work, "recipe.yaml");
const writeRecipe = (train) =>
  writeFileSync(
    recipe,
    `name: bench-data-reuse
seed: 42
model:
  tiny: {hidden_size: 64, num_layers: 2, num_heads: 4, vocab_size: 320, data: [${JSON.stringify(colours)}]}
  dtype: float32
data:
  train: ${JSON.stringify(train)}
stages:
  - id: orpo
    trainer: orpo
    args: {per_device_train_batch_size: 8, max_steps: 20, logging_steps: 1, save_strategy: "no", max_length: 64, gradient_checkpointing: false}
`,
  );
writeRecipe(data);
const rendered = path.join(work, "rendered");
const stage = JSON.parse(
  execFileSync(process.execPath, [trellis, "render", recipe, "--out", rendered, "--json"], { encoding: "utf8" }),
).stages[0];

const trellisRun = (name) =>
  toFirstStep(
    process.execPath,
    [trellis, "run", recipe, "--foreground", "--json", "--runs-dir", path.join(work, name)],
    {
      cwd: root,
      env: process.env,
    },
  );
const plainRun = (name) => {
  const file = path.join(work, `${name}.jsonl`);
  return toFirstStep(python, [path.join(rendered, path.basename(stage.script))], {
    cwd: rendered,
    env: { ...process.env, TRELLIS_EVENTS_FILE: file },
    eventsFile: file,
  });
};

// The recipe run once on the small colour pairs: the tiny model built, and the pre-start hint
// (keyed by the recipe's path) written, so that every timed trellis start is pre-started.
writeRecipe(colours);
await trellisRun("warm-up");
writeRecipe(data);
const first = await trellisRun("first");
console.error(`trellis, new data: first step at ${first.toFixed(2)} s`);
const again = await trellisRun("again");
console.error(`trellis, again: first step at ${again.toFixed(2)} s`);
await plainRun("plain-warm-up"); // the rendered folder's own first run
const plain = await plainRun("plain-again");
console.error(`plain script, again: first step at ${plain.toFixed(2)} s`);
rmSync(work, { recursive: true, force: true });

const result = {
  what: "time from spawn to the first logged training step (its event's timestamp), each start stopped there",
  rows: Number(values.rows),
  machine: atStart,
  first_step_s: {
    trellis_new_data: round(first),
    trellis_again: round(again),
    plain_script_again: round(plain),
  },
  again_minus_plain_again_s: round(again - plain),
  saved_by_the_caches_s: round(first - again),
};
writeFileSync(path.resolve(root, values.out), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
