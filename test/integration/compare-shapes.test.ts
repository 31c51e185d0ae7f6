/**
 * `trellis compare` with generations on the data shapes public preference sets come in
 * (recipes/data/shapes/): two one-stage arms (ORPO against DPO, real TRL on the CPU) on the same
 * pairs, each answering the same drawn prompts before and after training. Each compare exits 0,
 * every arm's answers are in its events and in the report, and each prompt is the question the
 * pairs ask (the last user turn), whatever shape held it.
 *
 * `npm test` runs the shape that once failed (`too many dimensions 'str'`: chat messages,
 * HuggingFaceH4/ultrafeedback_binarized's form); `node scripts/test-matrix.mjs compare-shapes`
 * runs every shape and commits the result (test/results/compare-shapes.txt). The encoding of
 * every shape's prompts, with and without a chat template, is tested without training in
 * python/tests/test_generate.py.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import type { RunEvent } from "../../src/core/events/protocol.js";
import { cell } from "../../src/core/compare/report.js";
import { eventsOf, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const EXPECTED = JSON.parse(
  readFileSync(path.join(RECIPES, "..", "test", "fixtures", "shapes.json"), "utf8"),
) as Record<string, string>;
const CI_SHAPES = ["prompt-in-answers"];
const shapes = process.env.TRELLIS_MATRIX === "full" ? Object.keys(EXPECTED) : CI_SHAPES;
const ws = workspace("compare-shapes");
const ARMS = ["orpo", "dpo"] as const;

/** The compare recipe of `shape`, its two arm recipes beside it. */
function recipes(shape: string): string {
  const data = (split: string) => JSON.stringify(path.join(RECIPES, "data", "shapes", `${shape}-${split}.jsonl`));
  for (const trainer of ARMS)
    writeFileSync(
      path.join(ws.dir, `${shape}-${trainer}.yaml`),
      `name: ${shape}-${trainer}
seed: 42
checkpoint_every_minutes: 0
model:
  tiny: {hidden_size: 64, num_layers: 2, num_heads: 4, vocab_size: 320}
  dtype: float32
data:
  train: ${data("train")}
  eval: ${data("eval")}
stages:
  - id: ${trainer}
    trainer: ${trainer}
    args:
      per_device_train_batch_size: 8
      learning_rate: 3.0e-3
      num_train_epochs: 1
      gradient_checkpointing: false
      logging_steps: 10
      save_strategy: "no"
      max_length: 64
`,
    );
  const file = path.join(ws.dir, `${shape}-compare.yaml`);
  writeFileSync(
    file,
    `name: compare-${shape}
compare:
${ARMS.map((t) => `  - ${shape}-${t}.yaml`).join("\n")}
generations:
  count: 2
  every_steps: 20
  max_new_tokens: 8
`,
  );
  return file;
}

describe("trellis compare with generations on every data shape", () => {
  for (const shape of shapes) {
    it(
      `${shape}: both arms answer the same questions, and the report shows every answer`,
      { timeout: 2 * RUN_TIMEOUT_MS },
      async () => {
        const runs = path.join(ws.dir, `runs-${shape}`);
        const result = await trellis(["compare", recipes(shape), "--runs-dir", runs, "--json"], {
          cwd: ws.dir,
          env: ws.env,
        });
        assert.equal(result.exitCode, 0, result.stderr.slice(-3000));
        const end = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as {
          status: string;
          report: string;
          arms: Array<{ name: string; run_id: string }>;
        };
        assert.equal(end.status, "finished");
        const report = readFileSync(end.report, "utf8");
        const generations = report.slice(report.indexOf("## Generations"), report.indexOf("## Reading"));
        assert.doesNotMatch(generations, /No generations were recorded/);
        let prompts: string[] | null = null;
        for (const arm of end.arms) {
          const events: RunEvent[] = readEvents(path.join(runs, arm.run_id, "events.jsonl"));
          assert.deepEqual(
            eventsOf(events, "data").map((e) => e.shape),
            [EXPECTED[shape]],
          );
          const all = eventsOf(events, "generations");
          assert.deepEqual(
            [...new Set(all.map((g) => g.when))],
            ["before", "step", "after"],
            `${arm.name}: answers before, during and after training`,
          );
          const final = all.at(-1)!;
          const asked = final.samples.map((s) => s.prompt);
          prompts ??= asked;
          assert.deepEqual(asked, prompts, `${arm.name}: the same prompts`);
          for (const p of asked)
            assert.match(p, /^What colour does the [a-z ]+ have\?$/, `${arm.name}: the question, not its wrapping`);
          for (const s of final.samples) {
            assert.ok(generations.includes(`**${cell(s.prompt)}**`), `${arm.name}: prompt ${s.prompt} in the report`);
            assert.ok(
              generations.includes(`| ${arm.name} | ${cell(s.answer)} |`),
              `${arm.name}: answer ${s.answer} in the report`,
            );
          }
        }
      },
    );
  }
});
