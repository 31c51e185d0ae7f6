import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRecipe } from "../../src/core/recipe/parse.js";
import { resolveRecipe } from "../../src/core/recipe/resolve.js";
import { renderRecipe } from "../../src/core/render/render.js";
import { renderScript } from "../../src/core/render/script.js";
import { parseVersion } from "../../src/core/trl/version.js";

const v = (s: string) => parseVersion(s)!;
const HOSTILE = `"""; import os; os.system("touch /tmp/pwned") #`;

const RECIPE = `name: two-stage
description: ${JSON.stringify(HOSTILE)}
model: {name: ${JSON.stringify(HOSTILE)}, chat_template: ${JSON.stringify(HOSTILE)}}
data:
  train: data/pairs.jsonl
  eval: {fraction: 0.1}
  columns: {prompt: ${JSON.stringify(HOSTILE)}}
stages:
  - id: sft
    trainer: sft
    peft: {r: 8}
    args: {run_name: ${JSON.stringify(HOSTILE)}}
  - id: dpo
    trainer: dpo
    from: sft
    args: {beta: 0.2, seed: 7}
`;

describe("renderRecipe", () => {
  const { recipe } = parseRecipe(RECIPE, "/work/recipes/two.yaml", { trl: v("1.13") });
  const resolved = resolveRecipe(recipe, "/work/recipes/two.yaml", "/runs/x/output");
  const [sft, dpo] = renderRecipe(resolved, v("1.13.0"), "0.1.0");

  it("names files by run order and stage id", () => {
    assert.equal(sft!.script.name, "stage-1-sft.py");
    assert.equal(dpo!.spec.name, "stage-2-dpo.json");
  });

  it("keeps every recipe value out of the script and in the JSON spec", () => {
    for (const stage of [sft!, dpo!]) assert.ok(!stage.script.text.includes("pwned"), stage.id);
    assert.equal(sft!.spec.value.model.name, HOSTILE);
    assert.equal(sft!.spec.value.args.run_name, HOSTILE);
    assert.equal(sft!.spec.value.data.columns.prompt, HOSTILE);
  });

  it("resolves paths, outputs and the stage a stage starts from", () => {
    assert.deepEqual(sft!.spec.value.data.train, { files: ["/work/recipes/data/pairs.jsonl"], format: "json" });
    assert.deepEqual(sft!.spec.value.data.eval, { fraction: 0.1, seed: 42 });
    assert.equal(sft!.spec.value.args.output_dir, "/runs/x/output/sft");
    assert.equal(dpo!.spec.value.from_dir, "/runs/x/output/sft");
    assert.equal(sft!.spec.value.from_dir, null);
  });

  it("passes TRL args verbatim, with trellis defaults under the recipe's", () => {
    assert.equal(dpo!.spec.value.args.beta, 0.2);
    assert.equal(dpo!.spec.value.args.seed, 7);
    assert.equal(sft!.spec.value.args.seed, 42);
    assert.equal(sft!.spec.value.args.disable_tqdm, true);
  });

  it("completes the LoRA block for peft", () => {
    assert.deepEqual(sft!.spec.value.peft, { r: 8, lora_alpha: 32, lora_dropout: 0.05, target_modules: "all-linear", bias: "none", task_type: "CAUSAL_LM" });
    assert.equal(dpo!.spec.value.peft, null);
  });
});

describe("renderScript for a TRL version", () => {
  const script = (trainer: "sft" | "dpo" | "orpo", trl: string) => renderScript({ trainer, stageId: "s", specFile: "stage-1-s.json", trl: v(trl) });

  it("imports ORPO from trl.experimental.orpo from 0.26 on, from trl before", () => {
    assert.match(script("orpo", "1.13.0"), /^ {4}from trl\.experimental\.orpo import ORPOConfig, ORPOTrainer$/m);
    assert.match(script("orpo", "0.26.0"), /from trl\.experimental\.orpo import/);
    assert.match(script("orpo", "0.25.1"), /^ {4}from trl import ORPOConfig, ORPOTrainer$/m);
  });

  it("passes the tokenizer as processing_class from 0.12, as tokenizer before", () => {
    assert.match(script("dpo", "0.12.0"), /processing_class=tokenizer,/);
    assert.match(script("dpo", "0.11.4"), /^ {8}tokenizer=tokenizer,$/m);
  });

  it("gives DPO a reference model (none with LoRA) and the others none", () => {
    assert.match(script("dpo", "1.13"), /ref_model = None if peft_config else load_model/);
    assert.doesNotMatch(script("orpo", "1.13"), /ref_model/);
    assert.doesNotMatch(script("sft", "1.13"), /ref_model/);
  });

  it("turns off bf16 on machines without a GPU", () => {
    assert.match(script("sft", "1.13"), /fit_precision\(SPEC\["args"\], emit\)/);
  });
});
