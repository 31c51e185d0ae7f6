/**
 * The journey matrix: features where they meet. Every arm people compare (ORPO, SFT then DPO, DPO
 * with LoRA and dropout, QLoRA) on the data shapes that matter most (plain text, Anthropic HH text,
 * the ultrafeedback_binarized shape: a prompt and whole dialogues as answers), through each
 * journey a user takes:
 * - fresh, stopped and resumed, then reproduced: Ctrl-C (SIGINT) after a checkpoint, `trellis
 *   resume`, and `trellis reproduce` re-runs it uninterrupted and must find every logged value
 *   identical (losses and num_tokens), which is what "resume equals the uninterrupted run" means;
 * - imported from a foreign config (alignment-handbook, axolotl) with the shape's data put in;
 * - compared with generations: all four arms in one `trellis compare` per shape, every arm's
 *   answers in the report.
 *
 * A cell costs half a minute to two minutes on 2 cores. `npm test` runs the representative cells
 * of CI_CELLS; `node scripts/test-matrix.mjs journeys` runs them all and commits the result
 * (test/results/journeys.txt).
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { eventsOf, onlyRun, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { assertNoRunProcesses, startRun, waitFor } from "../helpers/live-run.js";
import { needsWild, WILD } from "../helpers/wild.js";

const ws = workspace("journeys");

const SHAPES = { text: "text", hh: "hh-text", ultrafeedback: "prompt-in-answers" } as const;
type Shape = keyof typeof SHAPES;
const ARMS = ["orpo", "sft-dpo", "dpo-lora", "qlora"] as const;
type Arm = (typeof ARMS)[number];
type Journey = "resume" | "import" | "compare";

/** What `npm test` runs: one resumed LoRA run on chat data, one on 4 bits, one import, one comparison. */
const CI_CELLS = new Set([
  "resume dpo-lora ultrafeedback",
  "resume sft-dpo hh",
  "import orpo ultrafeedback",
  "compare * ultrafeedback",
]);
const FULL = process.env.TRELLIS_MATRIX === "full";
const runs = (journey: Journey, arm: Arm | "*", shape: Shape) => FULL || CI_CELLS.has(`${journey} ${arm} ${shape}`);

const dataFile = (shape: Shape, split: "train" | "eval") =>
  JSON.stringify(path.join(RECIPES, "data", "shapes", `${SHAPES[shape]}-${split}.jsonl`));

/** Steps and checkpoints of every stage: long enough to stop mid-stage after a checkpoint. */
function args(steps: number, save: boolean, extra = ""): string {
  return `
    args:
      per_device_train_batch_size: 8
      learning_rate: 3.0e-3
      max_steps: ${steps}
      gradient_checkpointing: false
      logging_steps: 1
      max_length: 64
      full_determinism: true
      ${save ? "save_strategy: steps\n      save_steps: 10" : 'save_strategy: "no"'}${extra}`;
}

function stages(arm: Arm, steps: number, save: boolean): string {
  const lora = (dropout: number) => `
    peft: {r: 8, lora_alpha: 16, lora_dropout: ${dropout}, target_modules: all-linear}`;
  switch (arm) {
    case "orpo":
      return `  - id: orpo\n    trainer: orpo${args(steps, save)}`;
    case "sft-dpo":
      return `  - id: sft\n    trainer: sft${args(steps / 2, save)}
  - id: dpo\n    trainer: dpo\n    from: sft${args(steps / 2, save, "\n      beta: 0.1")}`;
    case "dpo-lora":
      return `  - id: dpo\n    trainer: dpo${args(steps, save, "\n      beta: 0.1")}${lora(0.1)}`;
    case "qlora":
      return `  - id: dpo\n    trainer: dpo${args(steps, save, "\n      beta: 0.1\n      optim: paged_adamw_8bit")}${lora(0.1)}`;
  }
}

function recipe(arm: Arm, shape: Shape, opts: { steps: number; save: boolean; dir: string }): string {
  const quantized = arm === "qlora";
  const file = path.join(opts.dir, `${arm}.yaml`);
  writeFileSync(
    file,
    `name: ${arm}
seed: 42
checkpoint_every_minutes: 0${quantized ? "\nextras: [bitsandbytes]" : ""}
model:
  tiny: {hidden_size: 64, num_layers: 2, num_heads: 4, vocab_size: 320}
  dtype: float32${quantized ? "\n  quantization: {bits: 4, quant_type: nf4, double_quant: true}" : ""}
data:
  train: ${dataFile(shape, "train")}
  eval: ${dataFile(shape, "eval")}
stages:
${stages(arm, opts.steps, opts.save)}
`,
  );
  return file;
}

/** A folder of its own for each cell: its recipe, runs and override. */
function cellDir(name: string): string {
  const dir = path.join(ws.dir, name.replace(/[^a-z0-9]+/gi, "-"));
  mkdirSync(dir, { recursive: true });
  return dir;
}

const metricsSteps = (dir: string) => eventsOf(readEvents(path.join(dir, "events.jsonl")), "metrics").length;
const lastStageWithCheckpoint = (dir: string, stage: string) =>
  eventsOf(readEvents(path.join(dir, "events.jsonl")), "checkpoint", stage).length > 0;

/** Start, Ctrl-C after a checkpoint of the last stage, resume to the end, reproduce uninterrupted. */
async function resumeJourney(arm: Arm, shape: Shape): Promise<void> {
  const dir = cellDir(`resume ${arm} ${shape}`);
  const file = recipe(arm, shape, { steps: 40, save: true, dir });
  const lastStage = arm === "orpo" ? "orpo" : "dpo";
  const runsDir = path.join(dir, "runs");
  const run = await startRun(file, runsDir, ws.env);
  await waitFor(
    () => lastStageWithCheckpoint(run.dir, lastStage) && metricsSteps(run.dir) >= (arm === "sft-dpo" ? 35 : 15),
    RUN_TIMEOUT_MS,
    `a checkpoint of stage '${lastStage}' and steps after it`,
  );
  run.child.kill("SIGINT");
  const stoppedRun = await run.child;
  assert.equal(stoppedRun.exitCode, 130, String(stoppedRun.stderr).slice(-2000));
  const stopped = eventsOf(readEvents(path.join(run.dir, "events.jsonl")), "stopped").at(-1);
  assert.ok(stopped, "a stopped event");
  await assertNoRunProcesses(run.dir);

  const id = path.basename(run.dir);
  const resumed = await trellis(["resume", id, "--runs-dir", runsDir, "--json"], { cwd: dir, env: ws.env });
  assert.equal(resumed.exitCode, 0, resumed.stderr.slice(-3000));
  const events = readEvents(path.join(run.dir, "events.jsonl"));
  assert.equal(eventsOf(events, "run_end").at(-1)?.status, "finished");

  const again = await trellis(["reproduce", id, "--runs-dir", runsDir, "--json"], { cwd: dir, env: ws.env });
  assert.equal(again.exitCode, 0, again.stderr.slice(-3000));
  const report = JSON.parse(again.stdout.trim().split("\n").at(-1)!) as { identical: boolean; values: number };
  assert.equal(report.identical, true, again.stderr.slice(-3000));
  assert.ok(report.values > 20, `compared ${report.values} values`);
}

/**
 * The foreign configs each arm is imported from. No tool writes SFT then DPO as one config: the
 * handbook's zephyr recipe is its two halves, each imported and trained on its own.
 */
const FOREIGN: Record<Arm, string[]> = {
  orpo: ["alignment-handbook/recipes_zephyr-141b-A35b_orpo_config_full.yaml"],
  "sft-dpo": [
    "alignment-handbook/recipes_zephyr-7b-beta_sft_config_full.yaml",
    "alignment-handbook/recipes_zephyr-7b-beta_dpo_config_full.yaml",
  ],
  "dpo-lora": ["axolotl/examples_llama-3_instruct-dpo-lora-8b.yml"],
  qlora: ["alignment-handbook/recipes_zephyr-7b-beta_dpo_config_qlora.yaml"],
};

/** The quickstart override with the shape's data put in. */
function shapeOverride(dir: string, shape: Shape): string {
  const text = readFileSync(path.join(RECIPES, "overrides", "quickstart.yaml"), "utf8")
    .replace(/^ {2}train: .*$/m, `  train: ${dataFile(shape, "train")}`)
    .replace(/^ {2}eval: .*$/m, `  eval: ${dataFile(shape, "eval")}`);
  const file = path.join(dir, "override.yaml");
  writeFileSync(file, text);
  return file;
}

/** Import, check, run: each foreign config a recipe that checks and trains on the shape. */
async function importJourney(arms: Arm[], shape: Shape): Promise<void> {
  const dir = cellDir(`import ${shape}`);
  const override = shapeOverride(dir, shape);
  for (const fixture of arms.flatMap((arm) => FOREIGN[arm])) {
    const name = path.basename(fixture).replace(/\.ya?ml$/, "");
    const file = path.join(dir, `${name}.yaml`);
    const imported = await trellis(["import", path.join(WILD, fixture), "--override", override, "-o", file], {
      cwd: dir,
      env: ws.env,
    });
    assert.equal(imported.exitCode, 0, `${fixture}: ${imported.stderr}`);
    const checked = await trellis(["check", file], { cwd: dir, env: ws.env });
    assert.equal(checked.exitCode, 0, `${fixture}: ${checked.stderr}`);
    const runsDir = path.join(dir, `runs-${name}`);
    const run = await trellis(["run", file, "--runs-dir", runsDir, "--json"], { cwd: dir, env: ws.env });
    assert.equal(run.exitCode, 0, `${fixture}: ${run.stderr.slice(-3000)}`);
    const events = readEvents(path.join(onlyRun(runsDir), "events.jsonl"));
    assert.equal(eventsOf(events, "data")[0]?.shape, SHAPES[shape], fixture);
    assert.equal(eventsOf(events, "run_end").at(-1)?.status, "finished", fixture);
  }
}

/** All four arms side by side, with generations: each arm's final answers in the report. */
async function compareJourney(shape: Shape): Promise<void> {
  const dir = cellDir(`compare ${shape}`);
  for (const arm of ARMS) recipe(arm, shape, { steps: 12, save: false, dir });
  const file = path.join(dir, "compare.yaml");
  writeFileSync(
    file,
    `name: journeys-${shape}
compare: [${ARMS.map((a) => `${a}.yaml`).join(", ")}]
generations:
  count: 2
  every_steps: 1000
  max_new_tokens: 8
`,
  );
  const runsDir = path.join(dir, "runs");
  const result = await trellis(["compare", file, "--runs-dir", runsDir, "--json"], { cwd: dir, env: ws.env });
  assert.equal(result.exitCode, 0, result.stderr.slice(-3000));
  const end = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as {
    report: string;
    arms: Array<{ name: string; run_id: string }>;
  };
  const report = readFileSync(end.report, "utf8");
  assert.deepEqual(
    end.arms.map((a) => a.name),
    [...ARMS],
  );
  for (const a of end.arms) {
    const events = readEvents(path.join(runsDir, a.run_id, "events.jsonl"));
    assert.equal(eventsOf(events, "data")[0]?.shape, SHAPES[shape], a.name);
    const final = eventsOf(events, "generations")
      .filter((g) => g.when === "after")
      .at(-1);
    assert.ok(final, `${a.name}: answers after training`);
    assert.equal(final.samples.length, 2);
    for (const s of final.samples)
      assert.ok(
        s.answer.trim() === "" || report.includes(`| ${a.name} | \`${s.answer.trim().replace(/\|/g, "\\|")}\` |`),
        `${a.name}'s answer in the report`,
      );
  }
}

describe("journeys: every arm on every shape, resumed, imported and compared", { timeout: RUN_TIMEOUT_MS * 4 }, () => {
  for (const shape of Object.keys(SHAPES) as Shape[]) {
    for (const arm of ARMS)
      if (runs("resume", arm, shape))
        it(`resume ${arm} ${shape}: stopped, resumed, reproduced identical`, { timeout: RUN_TIMEOUT_MS }, () =>
          resumeJourney(arm, shape),
        );
    const importable = ARMS.filter((arm) => runs("import", arm, shape));
    if (importable.length)
      it(`import ${importable.join(", ")} ${shape}: checks and trains`, { timeout: RUN_TIMEOUT_MS, ...needsWild }, () =>
        importJourney(importable, shape),
      );
    if (runs("compare", "*", shape))
      it(`compare every arm ${shape}: every arm's answers in the report`, { timeout: RUN_TIMEOUT_MS }, () =>
        compareJourney(shape),
      );
  }
});
