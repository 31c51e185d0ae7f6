/** Recipes as TRL CLI configs, and back: export, re-import, the same recipe. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { exportToTrlCli } from "../../../../src/core/interop/export/trl-cli.js";
import { pyFloat } from "../../../../src/core/interop/export/pyyaml.js";
import { detectFormat, importConfig, type Raw } from "../../../../src/core/interop/import/index.js";
import { parseRecipe } from "../../../../src/core/recipe/parse.js";
import type { Recipe } from "../../../../src/core/recipe/schema.js";
import { parseVersion } from "../../../../src/core/trl/version.js";

const TRL_1_13 = { trl: parseVersion("1.13.0")! };
const recipe = (text: string): Recipe => parseRecipe(text, "r.yaml", TRL_1_13).recipe;
const OPTIONS = { recipeDir: "/work/recipes" };

const DPO = `name: dpo-lora
seed: 7
model:
  name: Qwen/Qwen2.5-0.5B-Instruct
  revision: main
  dtype: bfloat16
data:
  train: {hub: trl-lib/ultrafeedback_binarized, split: train}
  eval: {hub: trl-lib/ultrafeedback_binarized, split: test}
stages:
  - id: dpo
    trainer: dpo
    args:
      per_device_train_batch_size: 8
      learning_rate: 5.0e-7
      beta: 0.1
      loss_type: [sigmoid, sft]
      loss_weights: [1.0, 0.5]
      max_length: 1024
      eval_strategy: steps
      eval_steps: 500
      save_strategy: "no"
      gradient_checkpointing_kwargs: {use_reentrant: false}
    peft:
      r: 16
      lora_alpha: 32
      lora_dropout: 0.05
      target_modules: all-linear
`;

/** What must survive a round trip: everything but the name and where outputs go. */
function essence(r: Recipe) {
  return {
    seed: r.seed,
    model: r.model,
    data: r.data,
    stages: r.stages.map((s) => ({ trainer: s.trainer, args: s.args, peft: s.peft, from: s.from })),
    preference_eval: r.preference_eval,
  };
}

function reimport(file: string, text: string) {
  const raw = parse(text) as Raw;
  const format = detectFormat(raw);
  assert.equal(format, "trl");
  const result = importConfig(raw, format, { file, text });
  assert.deepEqual(
    result.report.filter((r) => r.status === "unsupported"),
    [],
    "nothing the export wrote is unsupported on the way back",
  );
  return { result, recipe: parseRecipe(stringify(result.recipe), file, TRL_1_13).recipe };
}

describe("export to TRL CLI", () => {
  it("a DPO stage becomes dpo.yaml, runnable with trl dpo --config", () => {
    const out = exportToTrlCli(recipe(DPO), OPTIONS);
    assert.deepEqual(out.skipped, []);
    const [dpo] = out.stages;
    assert.equal(dpo?.file, "dpo.yaml");
    assert.match(dpo.text, /^# Run: trl dpo --config dpo\.yaml$/m);
    const yaml = parse(dpo.text) as Raw;
    assert.deepEqual(
      {
        model: yaml.model_name_or_path,
        rev: yaml.model_revision,
        dtype: yaml.dtype,
        name: yaml.dataset_name,
        train: yaml.dataset_train_split,
        test: yaml.dataset_test_split,
        peft: yaml.use_peft,
        r: yaml.lora_r,
        target: yaml.lora_target_modules,
        seed: yaml.seed,
        out: yaml.output_dir,
      },
      {
        model: "Qwen/Qwen2.5-0.5B-Instruct",
        rev: "main",
        dtype: "bfloat16",
        name: "trl-lib/ultrafeedback_binarized",
        train: "train",
        test: "test",
        peft: true,
        r: 16,
        target: "all-linear",
        seed: 7,
        out: "output/dpo",
      },
    );
    // PyYAML reads 5e-7 as a string and an unquoted no as false.
    assert.match(dpo.text, /^learning_rate: 5\.0e-7$/m);
    assert.match(dpo.text, /^save_strategy: "no"$/m);
  });

  it("round trip: export, re-import, an equivalent recipe", () => {
    const original = recipe(DPO);
    const [dpo] = exportToTrlCli(original, OPTIONS).stages;
    const { result, recipe: back } = reimport(dpo!.file, dpo!.text);
    assert.equal(result.trainer, "dpo");
    assert.deepEqual(essence(back), essence(original));
    assert.equal(back.output_dir, "output/dpo", "the stage's output folder becomes the recipe's output_dir");
  });

  it("round trip with local files and a held-out fraction (TRL's dataset mixture)", () => {
    const original = recipe(`name: local
model: {name: org/model}
data:
  train: [/data/a.jsonl, /data/b.jsonl]
  eval: {fraction: 0.1}
stages:
  - {id: sft, trainer: sft, args: {max_length: 512, packing: true}}
`);
    const [sft] = exportToTrlCli(original, OPTIONS).stages;
    const yaml = parse(sft!.text) as Raw;
    assert.deepEqual(yaml.datasets, [{ path: "json", data_files: ["/data/a.jsonl", "/data/b.jsonl"], split: "train" }]);
    assert.equal(yaml.test_split_size, 0.1);
    const { recipe: back } = reimport(sft!.file, sft!.text);
    assert.deepEqual(essence(back), essence(original));
  });

  it("SFT then DPO: the DPO config starts from the SFT output folder, and says so", () => {
    const out = exportToTrlCli(
      recipe(`name: sft-dpo
output_dir: out
model: {name: org/model}
data: {train: data/pairs.jsonl}
stages:
  - {id: sft, trainer: sft, peft: {r: 8}}
  - {id: dpo, trainer: dpo, from: sft, args: {beta: 0.1}}
`),
      OPTIONS,
    );
    assert.deepEqual(
      out.stages.map((s) => s.file),
      ["sft.yaml", "dpo.yaml"],
    );
    const sft = parse(out.stages[0]!.text) as Raw;
    const dpo = parse(out.stages[1]!.text) as Raw;
    assert.equal(sft.output_dir, "/work/recipes/out/sft");
    assert.equal(dpo.model_name_or_path, "/work/recipes/out/sft");
    assert.deepEqual(sft.datasets, [{ path: "json", data_files: ["/work/recipes/data/pairs.jsonl"], split: "train" }]);
    assert.ok(out.stages[1]!.notes.some((n) => /starts from stage 'sft'/.test(n)));
    assert.ok(out.stages[1]!.notes.some((n) => /LoRA adapter/.test(n)));
  });

  it("says which stages cannot be exported and why", () => {
    const out = exportToTrlCli(
      recipe(`name: q
model: {tiny: {}}
data: {train: data/pairs.jsonl, columns: {chosen: good}}
stages:
  - {id: orpo, trainer: orpo}
`),
      OPTIONS,
    );
    assert.deepEqual(out.stages, []);
    const reasons = out.skipped[0]!.reasons.join("\n");
    assert.match(reasons, /no `trl orpo` command/);
    assert.match(reasons, /model\.tiny/);
    assert.match(reasons, /good -> chosen/);
  });

  it("eval data the TRL CLI cannot take is reported, and evaluation turned off", () => {
    const out = exportToTrlCli(
      recipe(`name: e
model: {name: org/model}
data: {train: {hub: a/train}, eval: {hub: b/eval}}
stages:
  - {id: dpo, trainer: dpo, args: {eval_strategy: steps}}
`),
      OPTIONS,
    );
    const yaml = parse(out.stages[0]!.text) as Raw;
    assert.equal(yaml.eval_strategy, "no");
    assert.ok(out.stages[0]!.notes.some((n) => /data\.eval is not carried/.test(n)));
  });

  it("floats as PyYAML reads floats", () => {
    assert.deepEqual([5e-7, 0.1, 3, 1e21, 2e-5, -1.5e-10].map(pyFloat), [
      "5.0e-7",
      "0.1",
      "3",
      "1.0e+21",
      "0.00002",
      "-1.5e-10",
    ]);
  });
});
