/**
 * Every shape public preference sets come in trains for real: ORPO, SFT then DPO, and DPO with
 * LoRA, on the same pairs rewritten in each shape (recipes/data/shapes/). Each run exits 0, every
 * stage's data event names the same shape, and held-out preference accuracy rises in each arm.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { eventsOf, onlyRun, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const EXPECTED = JSON.parse(
  readFileSync(path.join(RECIPES, "..", "test", "fixtures", "shapes.json"), "utf8"),
) as Record<string, string>;
/**
 * Each shape costs a minute of CPU (four stage processes). `npm test` trains the shape whose
 * normalisation does the most (dialogues parsed from "Human:/Assistant:" text, prompt split off);
 * `node scripts/test-matrix.mjs` trains them all and commits the result
 * (test/results/data-shapes.txt). The detection of every shape is tested without training in
 * test/core/data/shape.test.ts and python/tests/test_formats.py.
 */
// The scores shape's filter (min_score_margin) is tested without training in python/tests/test_data.py.
const CI_SHAPES = ["hh-text"];
const shapes = process.env.TRELLIS_MATRIX === "full" ? Object.keys(EXPECTED) : CI_SHAPES;
const ws = workspace("data-shapes");
const args = (epochs: number, extra = "") => `
    args:
      per_device_train_batch_size: 8
      learning_rate: 3.0e-3
      num_train_epochs: ${epochs}
      gradient_checkpointing: false
      logging_steps: 10
      save_strategy: "no"
      max_length: 64${extra}`;

function recipe(shape: string): string {
  const data = (split: string) => JSON.stringify(path.join(RECIPES, "data", "shapes", `${shape}-${split}.jsonl`));
  const file = path.join(ws.dir, `${shape}.yaml`);
  writeFileSync(
    file,
    `name: shape-${shape}
seed: 42
checkpoint_every_minutes: 0
model:
  tiny: {hidden_size: 64, num_layers: 2, num_heads: 4, vocab_size: 320}
  dtype: float32
data:
  train: ${data("train")}
  eval: ${data("eval")}${shape === "scores" ? "\n  min_score_margin: 1.0" : ""}
stages:
  - id: orpo
    trainer: orpo${args(3)}
  - id: sft
    trainer: sft${args(2)}
  - id: dpo
    trainer: dpo
    from: sft${args(1)}
  - id: dpo-lora
    trainer: dpo
    peft: {r: 8, lora_alpha: 16, lora_dropout: 0.0}${args(2)}
`,
  );
  return file;
}

describe("every data shape trains with every trainer", () => {
  for (const shape of shapes) {
    const detected = EXPECTED[shape]!;
    it(`${shape}: ORPO, SFT then DPO, DPO with LoRA`, { timeout: RUN_TIMEOUT_MS }, async () => {
      const runs = path.join(ws.dir, `runs-${shape}`);
      const result = await trellis(["run", recipe(shape), "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
      assert.equal(result.exitCode, 0, result.stderr.slice(-3000));
      const events = readEvents(path.join(onlyRun(runs), "events.jsonl"));
      const data = eventsOf(events, "data");
      assert.deepEqual(
        data.map((e) => [e.stage, e.shape]),
        ["orpo", "sft", "dpo", "dpo-lora"].map((s) => [s, detected]),
      );
      if (shape === "scores")
        assert.ok(
          data.every((e) => e.dropped_pairs === 64 && e.train_rows === 256),
          "the flipped near-ties are dropped",
        );
      const accuracy = (stage: string, when: string) =>
        eventsOf(events, "preference_eval", stage).find((e) => e.when === when)!.accuracy!;
      const arms = [
        ["orpo", accuracy("orpo", "before"), accuracy("orpo", "after")],
        ["sft+dpo", accuracy("sft", "before"), accuracy("dpo", "after")],
        ["dpo-lora", accuracy("dpo-lora", "before"), accuracy("dpo-lora", "after")],
      ] as const;
      for (const [arm, before, after] of arms)
        assert.ok(after > before + 0.05, `${shape} ${arm}: ${before} -> ${after}`);
    });
  }
});
