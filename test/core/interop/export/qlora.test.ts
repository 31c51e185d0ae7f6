/** A QLoRA recipe as a TRL CLI config and back: the same quantisation, attention and extra. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { exportToTrlCli } from "../../../../src/core/interop/export/trl-cli.js";
import { importConfig, type Raw } from "../../../../src/core/interop/import/index.js";
import { parseRecipe } from "../../../../src/core/recipe/parse.js";
import { parseVersion } from "../../../../src/core/trl/version.js";

const TRL = { trl: parseVersion("1.13.0")! };
const QLORA = `name: qlora
extras: [bitsandbytes]
model:
  name: org/m
  dtype: bfloat16
  attn_implementation: sdpa
  quantization: {bits: 4, quant_type: fp4, double_quant: false}
data:
  train: {hub: trl-lib/ultrafeedback_binarized, split: train}
stages:
  - id: dpo
    trainer: dpo
    merge: true
    args: {optim: paged_adamw_8bit}
    peft: {r: 8, lora_alpha: 16, lora_dropout: 0.0, target_modules: all-linear}
`;

describe("export of a QLoRA recipe to the TRL CLI", () => {
  const original = parseRecipe(QLORA, "q.yaml", TRL).recipe;
  const [dpo] = exportToTrlCli(original, { recipeDir: "/r" }).stages;
  const yaml = parse(dpo!.text) as Raw;

  it("writes TRL ModelConfig's bitsandbytes keys and the attention kernel; merge is a note", () => {
    assert.deepEqual(
      {
        q: yaml.load_in_4bit,
        t: yaml.bnb_4bit_quant_type,
        n: yaml.use_bnb_nested_quant,
        a: yaml.attn_implementation,
        p: yaml.use_peft,
      },
      { q: true, t: "fp4", n: false, a: "sdpa", p: true },
    );
    assert.match(dpo!.text, /^# Note: merge: true is trellis's own/m);
  });

  it("re-imports to the same model block, with the extra, and nothing unsupported", () => {
    const back = importConfig(yaml, "trl", { file: "dpo.yaml", text: dpo!.text });
    assert.deepEqual(
      back.report.filter((r) => r.status === "unsupported"),
      [],
    );
    const recipe = parseRecipe(stringify(back.recipe), "dpo.yaml", TRL).recipe;
    assert.deepEqual(recipe.model, original.model);
    assert.deepEqual(recipe.extras, ["bitsandbytes"]);
  });

  it("8 bits is load_in_8bit", () => {
    const eight = parseRecipe(
      QLORA.replace("{bits: 4, quant_type: fp4, double_quant: false}", "{bits: 8}"),
      "q.yaml",
      TRL,
    ).recipe;
    const [stage] = exportToTrlCli(eight, { recipeDir: "/r" }).stages;
    assert.equal((parse(stage!.text) as Raw).load_in_8bit, true);
  });
});
