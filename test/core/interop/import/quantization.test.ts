// What each importer makes of QLoRA and attention settings: the TRL/handbook ModelConfig keys,
// axolotl's and LLaMA-Factory's own names. Every imported recipe must also pass trellis's checks.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import {
  importConfig,
  type ImportFormat,
  type ImportResult,
  type Raw,
} from "../../../../src/core/interop/import/index.js";
import { parseRecipe } from "../../../../src/core/recipe/parse.js";
import { parseVersion } from "../../../../src/core/trl/version.js";

const TRL = { trl: parseVersion("1.13.0")! };
const imp = (format: ImportFormat, raw: Raw, trainer: "sft" | "dpo" | "orpo" = "dpo") =>
  importConfig(raw, format, { file: "c.yaml", trainer });
const model = (r: ImportResult) => r.recipe.model as Raw;
const row = (r: ImportResult, key: string) => {
  const found = r.report.find((x) => x.key === key);
  assert.ok(found, `a row for ${key}`);
  return found;
};
/** The imported recipe parses and passes checkRecipe (parseRecipe runs it). */
const valid = (r: ImportResult) => parseRecipe(stringify(r.recipe), "imported.yaml", TRL).recipe;

describe("TRL / alignment-handbook", () => {
  const base = { model_name_or_path: "m/x", dataset_name: "a/b", use_peft: true };

  it("load_in_4bit with its settings becomes model.quantization, in any key order, with the extra", () => {
    const r = imp("handbook", {
      bnb_4bit_quant_type: "fp4",
      ...base,
      load_in_4bit: true,
      use_bnb_nested_quant: true,
      bnb_4bit_quant_storage: "bfloat16",
      torch_dtype: "bfloat16",
    });
    assert.deepEqual(model(r).quantization, {
      bits: 4,
      quant_type: "fp4",
      double_quant: true,
      quant_storage: "bfloat16",
    });
    assert.deepEqual(r.recipe.extras, ["bitsandbytes"]);
    for (const key of ["bnb_4bit_quant_type", "use_bnb_nested_quant", "bnb_4bit_quant_storage"])
      assert.equal(
        row(r, key).to,
        `model.quantization.${key === "bnb_4bit_quant_type" ? "quant_type" : key === "use_bnb_nested_quant" ? "double_quant" : "quant_storage"}`,
      );
    assert.match(row(r, "load_in_4bit").note, /computing in model\.dtype as TRL does/);
    assert.equal(valid(r).model.quantization?.bits, 4);
  });

  it("TRL's defaults are written out: nf4, no nested quantisation", () => {
    assert.deepEqual(model(imp("trl", { ...base, load_in_4bit: true })).quantization, {
      bits: 4,
      quant_type: "nf4",
      double_quant: false,
    });
  });

  it("8-bit; and both: 4-bit wins, the other is reported", () => {
    assert.deepEqual(model(imp("trl", { ...base, load_in_8bit: true })).quantization, { bits: 8 });
    const both = imp("trl", { ...base, load_in_8bit: true, load_in_4bit: true });
    assert.equal(model(both).quantization && (model(both).quantization as Raw).bits, 4);
    assert.equal(row(both, "load_in_8bit").status, "unsupported");
    valid(both);
  });

  it("quantisation without use_peft is reported, not mapped (nothing could train)", () => {
    const r = imp("trl", {
      model_name_or_path: "m/x",
      dataset_name: "a/b",
      load_in_4bit: true,
      bnb_4bit_quant_type: "nf4",
    });
    assert.equal(row(r, "load_in_4bit").status, "unsupported");
    assert.match(row(r, "load_in_4bit").note, /use_peft: true/);
    assert.equal(model(r).quantization, undefined);
    assert.equal(r.recipe.extras, undefined);
    assert.match(row(r, "bnb_4bit_quant_type").note, /only used with 4-bit loading/);
    valid(r);
  });

  it("a bad 4-bit value is reported with what is allowed", () => {
    const r = imp("trl", { ...base, load_in_4bit: true, bnb_4bit_quant_type: "int4" });
    assert.match(row(r, "bnb_4bit_quant_type").note, /takes nf4, fp4 \(got "int4"\)/);
    valid(r);
  });

  it("attn_implementation and the older use_flash_attention_2", () => {
    assert.equal(model(imp("trl", { ...base, attn_implementation: "sdpa" })).attn_implementation, "sdpa");
    assert.equal(model(imp("trl", { ...base, use_flash_attention_2: true })).attn_implementation, "flash_attention_2");
    const both = imp("trl", { ...base, attn_implementation: "eager", use_flash_attention_2: true });
    assert.equal(model(both).attn_implementation, "eager");
    assert.equal(row(both, "use_flash_attention_2").status, "unsupported");
    const other = imp("trl", { ...base, attn_implementation: "flex_attention" });
    assert.match(
      row(other, "attn_implementation").note,
      /takes eager, sdpa, flash_attention_2 \(got "flex_attention"\)/,
    );
    valid(other);
  });
});

describe("axolotl", () => {
  const base = { base_model: "m/x", rl: "dpo", datasets: [{ path: "a/b", type: "chatml.intel" }] };

  it("adapter qlora with load_in_4bit: axolotl's defaults, bnb_config_kwargs over them", () => {
    const r = imp("axolotl", {
      ...base,
      adapter: "qlora",
      load_in_4bit: true,
      bnb_config_kwargs: {
        bnb_4bit_quant_type: "fp4",
        bnb_4bit_use_double_quant: false,
        llm_int8_has_fp16_weight: false,
        llm_int8_threshold: 5,
      },
    });
    assert.deepEqual(model(r).quantization, { bits: 4, quant_type: "fp4", double_quant: false });
    assert.equal(row(r, "adapter").status, "mapped");
    assert.equal(row(r, "bnb_config_kwargs.llm_int8_threshold").status, "unsupported");
    assert.deepEqual(r.recipe.extras, ["bitsandbytes"]);
    valid(r);
  });

  it("qlora without load_in_4bit stays a LoRA and says why; 4-bit without an adapter is reported", () => {
    const r = imp("axolotl", { ...base, adapter: "qlora" });
    assert.equal(row(r, "adapter").status, "migrated");
    assert.equal(model(r).quantization, undefined);
    const bare = imp("axolotl", { ...base, load_in_4bit: true, load_in_8bit: true });
    assert.match(row(bare, "load_in_4bit").note, /set adapter: qlora/);
    assert.match(row(bare, "load_in_8bit").note, /load_in_4bit is also set/);
    valid(bare);
  });

  it("load_in_8bit with a LoRA adapter is 8-bit", () => {
    assert.deepEqual(model(imp("axolotl", { ...base, adapter: "lora", load_in_8bit: true })).quantization, { bits: 8 });
  });

  it("flash_attention, sdp_attention, eager_attention and attn_implementation pick the kernel; the first one wins", () => {
    assert.equal(model(imp("axolotl", { ...base, flash_attention: true })).attn_implementation, "flash_attention_2");
    assert.equal(model(imp("axolotl", { ...base, sdp_attention: true })).attn_implementation, "sdpa");
    assert.equal(
      model(imp("axolotl", { ...base, eager_attention: true, flash_attention: false })).attn_implementation,
      "eager",
    );
    const two = imp("axolotl", { ...base, sdp_attention: true, attn_implementation: "eager" });
    assert.equal(model(two).attn_implementation, "sdpa");
    assert.match(row(two, "attn_implementation").note, /already "sdpa"/);
    assert.equal(
      row(imp("axolotl", { ...base, xformers_attention: true }), "xformers_attention").status,
      "unsupported",
    );
  });
});

describe("LLaMA-Factory", () => {
  const base = { model_name_or_path: "m/x", stage: "dpo", finetuning_type: "lora", dataset: "d" };

  it("quantization_bit 4 with bnb: nf4 with double quantisation, type and double_quantization over them", () => {
    const r = imp("llamafactory", {
      ...base,
      quantization_bit: 4,
      quantization_method: "bnb",
      quantization_type: "fp4",
      double_quantization: false,
    });
    assert.deepEqual(model(r).quantization, { bits: 4, quant_type: "fp4", double_quant: false });
    assert.equal(row(r, "quantization_method").status, "mapped");
    assert.deepEqual(r.recipe.extras, ["bitsandbytes"]);
    valid(r);
  });

  it("8 bits; another method or full fine-tuning is reported", () => {
    assert.deepEqual(model(imp("llamafactory", { ...base, quantization_bit: 8 })).quantization, { bits: 8 });
    const gptq = imp("llamafactory", { ...base, quantization_bit: 4, quantization_method: "hqq" });
    assert.match(row(gptq, "quantization_bit").note, /bitsandbytes only/);
    assert.equal(row(gptq, "quantization_method").status, "unsupported");
    const full = imp("llamafactory", { ...base, finetuning_type: "full", quantization_bit: 4 });
    assert.match(row(full, "quantization_bit").note, /finetuning_type: lora/);
    assert.equal(model(full).quantization, undefined);
    valid(full);
  });

  it("flash_attn: disabled, sdpa, fa2; auto is the default; ref_model_quantization_bit explains the reference", () => {
    const kernel = (v: string) => model(imp("llamafactory", { ...base, flash_attn: v })).attn_implementation;
    assert.deepEqual(["disabled", "sdpa", "fa2", "auto"].map(kernel), [
      "eager",
      "sdpa",
      "flash_attention_2",
      undefined,
    ]);
    assert.match(
      row(imp("llamafactory", { ...base, ref_model_quantization_bit: 4 }), "ref_model_quantization_bit").note,
      /adapter disabled/,
    );
  });

  it("v1 quant_config: bnb at 4 bits with a LoRA peft_config; without one it is refused", () => {
    const v1 = { model: "m/x", train_dataset: "d.jsonl", peft_config: { name: "lora", r: 8 } };
    const r = importConfig({ ...v1, quant_config: { name: "bnb", quantization_bit: 4 } }, "llamafactory", {
      file: "c.yaml",
      trainer: "sft",
    });
    assert.deepEqual(model(r).quantization, { bits: 4, quant_type: "nf4", double_quant: true });
    const none = importConfig(
      { model: "m/x", train_dataset: "d.jsonl", quant_config: { name: "bnb", quantization_bit: 4 } },
      "llamafactory",
      { file: "c.yaml", trainer: "sft" },
    );
    assert.match(row(none, "quant_config.name").note, /peft_config \{name: lora\}/);
    const hqq = importConfig({ ...v1, quant_config: { name: "hqq", quantization_bit: 4 } }, "llamafactory", {
      file: "c.yaml",
      trainer: "sft",
    });
    assert.match(row(hqq, "quant_config.name").note, /bitsandbytes \(bnb\) only/);
  });
});
