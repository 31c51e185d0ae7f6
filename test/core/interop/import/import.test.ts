/** What the importers make of particular keys: migrations, inference of the trainer, overrides. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import {
  detectFormat,
  importConfig,
  ImportError,
  mapLocalPaths,
  mergeOverride,
  rebasePaths,
  type ImportResult,
  type Raw,
} from "../../../../src/core/interop/import/index.js";
import { parseRecipe } from "../../../../src/core/recipe/parse.js";
import { parseVersion } from "../../../../src/core/trl/version.js";
import { needsWild, WILD } from "../../../helpers/wild.js";

function fixture(rel: string) {
  const file = path.join(WILD, rel);
  const text = readFileSync(file, "utf8");
  return { file, text, raw: parse(text) as Raw };
}
const validate = (r: ImportResult) =>
  parseRecipe(stringify(r.recipe), "imported.yaml", { trl: parseVersion("1.13.0")! }).recipe;

const row = (result: ImportResult, key: string) => {
  const found = result.report.find((r) => r.key === key);
  assert.ok(found, `a row for ${key}`);
  return found;
};
const stage = (result: ImportResult) => (result.recipe.stages as Array<Record<string, unknown>>)[0]!;
const args = (result: ImportResult) => stage(result).args as Record<string, unknown>;
const data = (result: ImportResult) => result.recipe.data as Record<string, Record<string, unknown>>;
const flat = (raw: Raw, file = "config.yaml", extra: { text?: string; trainer?: "sft" | "dpo" | "orpo" } = {}) =>
  importConfig(raw, "trl", { file, ...extra });

function wild(rel: string) {
  const { file, text, raw } = fixture(rel);
  return importConfig(raw, detectFormat(raw)!, { file, text });
}

describe("alignment-handbook", needsWild, () => {
  it("DPO: max_prompt_length is migrated with what replaces it; the mixture becomes one Hub split", () => {
    const r = wild("alignment-handbook/recipes_zephyr-7b-beta_dpo_config_full.yaml");
    const mpl = row(r, "max_prompt_length");
    assert.equal(mpl.status, "migrated");
    assert.match(mpl.note, /DPOConfig has no 'max_prompt_length' since TRL 0\.29\.0: .*max_length/);
    assert.equal(args(r).max_prompt_length, undefined);
    assert.deepEqual(data(r).train, {
      hub: "HuggingFaceH4/ultrafeedback_binarized",
      split: "train_prefs+test_prefs",
      config: "default",
    });
    assert.equal(row(r, "dataset_mixture.test_split_size").status, "unsupported");
    assert.equal(row(r, "warmup_ratio").to, "stages[0].args.warmup_steps");
    assert.equal(args(r).warmup_steps, 0.1);
    assert.equal(r.recipe.output_dir, "data/zephyr-7b-dpo-full");
    assert.ok(r.notes.some((n) => /evaluates .* no eval data/.test(n)));
  });
  it("QLoRA: 4-bit loading and the attention kernel are mapped, with the bitsandbytes extra; the old dataset_mixer gives train and eval splits", () => {
    const r = wild("alignment-handbook/recipes_zephyr-7b-beta_dpo_config_qlora.yaml");
    assert.equal(row(r, "load_in_4bit").status, "mapped");
    assert.equal(row(r, "load_in_4bit").to, "model.quantization");
    assert.deepEqual((r.recipe.model as Raw).quantization, { bits: 4, quant_type: "nf4", double_quant: false });
    assert.equal((r.recipe.model as Raw).attn_implementation, "flash_attention_2");
    assert.deepEqual(r.recipe.extras, ["bitsandbytes"]);
    assert.equal(args(r).optim, "paged_adamw_32bit");
    validate(r);
    assert.deepEqual(stage(r).peft, {
      r: 128,
      lora_alpha: 128,
      lora_dropout: 0.05,
      target_modules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    });
    assert.deepEqual(data(r).train, { hub: "HuggingFaceH4/ultrafeedback_binarized", split: "train_prefs" });
    assert.deepEqual(data(r).eval, { hub: "HuggingFaceH4/ultrafeedback_binarized", split: "test_prefs" });
    assert.equal((r.recipe.model as Raw).dtype, "bfloat16");
    assert.equal(row(r, "torch_dtype").status, "migrated");
  });
  it("SFT: max_seq_length becomes max_length; overwrite_output_dir is gone from transformers 5", () => {
    const r = wild("alignment-handbook/recipes_zephyr-7b-beta_sft_config_full.yaml");
    assert.equal(args(r).max_length, 2048);
    assert.equal(row(r, "max_seq_length").status, "migrated");
    assert.equal(row(r, "overwrite_output_dir").status, "migrated");
    assert.equal(args(r).overwrite_output_dir, undefined);
  });
  it("ORPO: trainer from the comments, the chat template carried over", () => {
    const r = wild("alignment-handbook/recipes_zephyr-141b-A35b_orpo_config_full.yaml");
    assert.equal(r.trainer, "orpo");
    assert.match(row(r, "max_prompt_length").note, /ORPOConfig has no 'max_prompt_length' since TRL 0\.28\.0/);
    assert.match(String((r.recipe.model as Raw).chat_template), /<\|assistant\|>/);
    assert.equal(args(r).beta, 0.05);
  });
});

describe("axolotl", needsWild, () => {
  it("ORPO QLoRA: orpo_alpha is beta, qlora becomes LoRA, evals_per_epoch a ratio of steps", () => {
    const r = wild("axolotl/examples_mistral_orpo_mistral-qlora-orpo.yml");
    assert.equal(args(r).beta, 0.1);
    assert.equal(row(r, "adapter").status, "mapped");
    assert.equal(row(r, "load_in_4bit").to, "model.quantization");
    assert.deepEqual((r.recipe.model as Raw).quantization, { bits: 4, quant_type: "nf4", double_quant: true });
    assert.equal((r.recipe.model as Raw).attn_implementation, "flash_attention_2");
    assert.deepEqual(r.recipe.extras, ["bitsandbytes"]);
    assert.deepEqual(stage(r).peft, { r: 32, lora_alpha: 16, lora_dropout: 0.05, target_modules: "all-linear" });
    assert.deepEqual(data(r).eval, { fraction: 0.1 });
    assert.equal(args(r).eval_strategy, "steps");
    assert.equal(args(r).eval_steps, 0.25);
    assert.equal(args(r).save_strategy, "epoch");
    assert.equal(args(r).per_device_train_batch_size, 2);
    assert.equal(args(r).max_length, 4096);
    assert.match(String((r.recipe.model as Raw).chat_template), /<\|im_start\|>/);
  });
  it("Llama 3 DPO: 8-bit loading mapped, the pad token carried, the columns mapped", () => {
    const r = wild("axolotl/examples_llama-3_instruct-dpo-lora-8b.yml");
    assert.equal(row(r, "load_in_8bit").to, "model.quantization");
    assert.deepEqual((r.recipe.model as Raw).quantization, { bits: 8 });
    assert.equal(row(r, "load_in_4bit").status, "mapped");
    assert.equal(args(r).pad_token, "<|finetune_right_pad_id|>");
    assert.equal(row(r, "special_tokens.eos_token").status, "unsupported");
    assert.deepEqual(data(r).columns, { prompt: "conversation" });
    assert.deepEqual(data(r).train, { hub: "fozziethebeat/alpaca_messages_2k_dpo_test", split: "train" });
    assert.equal(row(r, "bf16").status, "migrated");
  });
  it("an axolotl template trellis does not bundle is reported", () => {
    const r = wild("axolotl/examples_qwen2_dpo.yaml");
    assert.equal(row(r, "chat_template").status, "unsupported");
    assert.equal(data(r).eval, undefined);
  });
  it("rl: ipo is DPO with the ipo loss; an rl trellis has no trainer for is an error", () => {
    const base = { base_model: "m/x", rl: "ipo", datasets: [{ path: "a/b", type: "chatml.intel" }] };
    const r = importConfig(base, "axolotl", { file: "x.yml" });
    assert.equal(r.trainer, "dpo");
    assert.deepEqual(args(r).loss_type, ["ipo"]);
    validate(r);
    assert.throws(() => importConfig({ ...base, rl: "grpo" }, "axolotl", { file: "x.yml" }), ImportError);
  });
  it("local files keep their paths; several of them become one list", () => {
    const r = importConfig(
      {
        base_model: "m/x",
        rl: "dpo",
        datasets: [
          { path: "data/a.jsonl", ds_type: "json", type: "x" },
          { path: "data/b.jsonl", ds_type: "json", type: "x" },
        ],
      },
      "axolotl",
      { file: "x.yml" },
    );
    assert.deepEqual(data(r).train, { path: ["data/a.jsonl", "data/b.jsonl"] });
    validate(r);
  });
});

describe("LLaMA-Factory", needsWild, () => {
  it("DPO with LoRA: pref_beta, LLaMA-Factory's LoRA defaults, the dataset name", () => {
    const r = wild("llama-factory/examples_train_lora_qwen3_lora_dpo.yaml");
    assert.equal(args(r).beta, 0.1);
    assert.deepEqual(stage(r).peft, { r: 8, lora_alpha: 16, lora_dropout: 0, target_modules: "all-linear" });
    assert.equal(row(r, "template").status, "unsupported");
    assert.equal(row(r, "dataset").status, "migrated");
    assert.deepEqual(data(r).train, { path: "data/dpo_en_demo.json" });
    assert.equal((r.recipe.model as Raw).trust_remote_code, true);
  });
  it("pref_loss orpo is ORPO; dataset_info.json resolves the dataset and its columns", () => {
    const info = {
      mine: {
        hf_hub_url: "org/pairs",
        split: "train",
        columns: { prompt: "question", chosen: "good", rejected: "bad" },
      },
    };
    const r = importConfig(
      { model_name_or_path: "m/x", stage: "dpo", pref_loss: "orpo", pref_beta: 0.2, dataset: "mine" },
      "llamafactory",
      { file: "x.yaml", datasetInfo: info },
    );
    assert.equal(r.trainer, "orpo");
    assert.equal(args(r).beta, 0.2);
    assert.deepEqual(data(r).train, { hub: "org/pairs", split: "train" });
    assert.deepEqual(data(r).columns, { prompt: "question", chosen: "good", rejected: "bad" });
    assert.equal(row(r, "dataset").status, "mapped");
    validate(r);
  });
  it("pref_ftx adds the SFT loss", () => {
    const r = importConfig({ model_name_or_path: "m/x", stage: "dpo", pref_ftx: 0.5, dataset: "d" }, "llamafactory", {
      file: "x.yaml",
    });
    assert.deepEqual(args(r).loss_type, ["sigmoid", "sft"]);
    assert.deepEqual(args(r).loss_weights, [1.0, 0.5]);
    validate(r);
  });
});

describe("TRL CLI configs", () => {
  it("the trainer: --trainer, then keys, then comments, then the file name; SFT by default", () => {
    const base = { model_name_or_path: "m/x", dataset_name: "a/b" };
    assert.equal(flat({ ...base, packing: true }).trainer, "sft");
    assert.equal(flat({ ...base, precompute_ref_log_probs: true }).trainer, "dpo");
    assert.equal(flat({ ...base, beta: 0.1 }).trainer, "dpo");
    assert.equal(flat({ ...base, beta: 0.1 }, "zephyr_orpo.yaml").trainer, "orpo");
    assert.equal(
      flat({ ...base, beta: 0.1 }, "x.yaml", { text: "# ORPOTrainer arguments\nbeta: 0.1\n" }).trainer,
      "orpo",
    );
    assert.equal(flat({ ...base, beta: 0.1 }, "x.yaml", { trainer: "orpo" }).trainer, "orpo");
    assert.equal(flat(base).trainer, "sft");
    assert.equal(flat(base, "x.yaml", { text: "# trl dpo --config x.yaml\n" }).trainer, "dpo");
  });
  it("the example config as DPO with --trainer", needsWild, () => {
    const { file, text, raw } = fixture("trl/examples_cli_configs_example_config.yaml");
    const r = importConfig(raw, "trl", { file, text, trainer: "dpo" });
    assert.equal(r.trainer, "dpo");
    assert.equal(r.trainerReason, "--trainer");
    validate(r);
  });
  it("dataset_name with a test split, and eval_strategy without one", () => {
    const r = flat({
      model_name_or_path: "m/x",
      dataset_name: "a/b",
      dataset_config: "c",
      dataset_test_split: "validation",
    });
    assert.deepEqual(data(r).eval, { hub: "a/b", split: "validation", config: "c" });
    const s = flat({ model_name_or_path: "m/x", dataset_name: "a/b", eval_strategy: "steps" });
    assert.deepEqual(data(s).eval, { hub: "a/b", split: "test" });
    assert.ok(s.notes.some((n) => /TRL's default dataset_test_split/.test(n)));
  });
  it("TRL's dataset mixture of local files with a held-out fraction", () => {
    const r = flat({
      model_name_or_path: "m/x",
      datasets: [{ path: "json", data_files: ["a.jsonl", "b.jsonl"], split: "train" }],
      test_split_size: 0.1,
    });
    assert.deepEqual(data(r).train, { path: ["a.jsonl", "b.jsonl"] });
    assert.deepEqual(data(r).eval, { fraction: 0.1 });
    assert.deepEqual(
      r.report.map((x) => x.key),
      ["model_name_or_path", "datasets[0].path", "datasets[0].data_files", "datasets[0].split", "test_split_size"],
    );
    validate(r);
  });
  it("removed DPO fields migrate: max_prompt/completion_length into max_length, rpo_alpha into loss weights", () => {
    const r = flat(
      {
        model_name_or_path: "m/x",
        dataset_name: "a/b",
        beta: 0.1,
        max_prompt_length: 256,
        max_completion_length: 512,
        rpo_alpha: 1.0,
      },
      "dpo.yaml",
    );
    assert.equal(args(r).max_length, 768);
    assert.deepEqual(args(r).loss_type, ["sigmoid", "sft"]);
    assert.deepEqual(args(r).loss_weights, [1.0, 1.0]);
    assert.equal(row(r, "max_completion_length").status, "migrated");
    validate(r);
  });
  it("keys TRL 1.13 does not have are reported, with a suggestion; none lands in args", () => {
    const r = flat(
      { model_name_or_path: "m/x", dataset_name: "a/b", learnig_rate: 1e-5, packing: true, beta: 0.1 },
      "dpo.yaml",
      { trainer: "dpo" },
    );
    assert.match(row(r, "learnig_rate").note, /did you mean 'learning_rate'/);
    assert.match(row(r, "packing").note, /SFTConfig field; DPOConfig/);
    assert.deepEqual(Object.keys(args(r)), ["beta"]);
  });
  it("numbers PyYAML reads as text become numbers; QLoRA is mapped and DeepSpeed reported", () => {
    const r = flat({
      model_name_or_path: "m/x",
      dataset_name: "a/b",
      learning_rate: "1e-5",
      use_peft: true,
      load_in_4bit: true,
      deepspeed: "ds.json",
    });
    assert.equal(args(r).learning_rate, 1e-5);
    assert.equal(row(r, "load_in_4bit").to, "model.quantization");
    // A DeepSpeed config becomes the recipe's launch (the Trainer gets it as args.deepspeed).
    assert.equal(row(r, "deepspeed").status, "migrated");
    assert.equal(row(r, "deepspeed").to, "launch.config_file");
    assert.deepEqual(r.recipe.launch, { config_file: "ds.json" });
    assert.equal(args(r).deepspeed, undefined);
    assert.deepEqual(stage(r).peft, {});
    validate(r);
  });
  it("FSDP stays in the Trainer's args and gets a launch block; an inline DeepSpeed config is refused", () => {
    const r = flat({
      model_name_or_path: "m/x",
      dataset_name: "a/b",
      beta: 0.1,
      fsdp: "full_shard auto_wrap",
      fsdp_config: { fsdp_version: 2 },
      accelerator_config: { split_batches: true },
    });
    assert.equal(args(r).fsdp, "full_shard auto_wrap");
    assert.deepEqual(args(r).fsdp_config, { fsdp_version: 2 });
    assert.deepEqual(r.recipe.launch, {});
    assert.match(row(r, "fsdp").note, /FSDP needs several processes: the recipe gets a launch block/);
    assert.equal(row(r, "accelerator_config").status, "unsupported");
    const inline = flat({
      model_name_or_path: "m/x",
      dataset_name: "a/b",
      beta: 0.1,
      deepspeed: { zero_optimization: { stage: 2 } },
    });
    assert.equal(row(inline, "deepspeed").status, "unsupported");
    assert.match(row(inline, "deepspeed").note, /write it to a \.json file/);
    validate(r);
  });
  it("lora_* without use_peft is reported as unused, not applied", () => {
    const r = flat({ model_name_or_path: "m/x", dataset_name: "a/b", lora_r: 8 });
    assert.equal(stage(r).peft, undefined);
    assert.match(row(r, "lora_r").note, /use_peft is not true/);
  });
});

describe("detectFormat", () => {
  it("tells the tools apart by their keys", () => {
    assert.equal(detectFormat({ name: "x", model: { name: "m" }, data: { train: "a.jsonl" }, stages: [] }), "trellis");
    assert.equal(
      detectFormat({ name: "x", model: { name: "m" }, stage: [] }),
      "trellis",
      "a recipe with a typo is still a recipe",
    );
    assert.equal(detectFormat({ base_model: "m", rl: "dpo" }), "axolotl");
    assert.equal(detectFormat({ stage: "dpo", dataset: "d", model_name_or_path: "m" }), "llamafactory");
    assert.equal(detectFormat({ model_name_or_path: "m", dataset_mixture: { datasets: [] } }), "handbook");
    assert.equal(detectFormat({ model_name_or_path: "m", dataset_name: "d" }), "trl");
    assert.equal(detectFormat({ learning_rate: 1e-5, beta: 0.1 }), "trl");
    assert.equal(detectFormat({ hello: "world" }), undefined);
    assert.equal(detectFormat(["a"]), undefined);
  });
});

describe("a trellis recipe", () => {
  it("imports as itself", () => {
    const raw = {
      name: "x",
      model: { name: "m/x" },
      data: { train: "a.jsonl" },
      stages: [{ id: "orpo", trainer: "orpo" }],
    };
    const r = importConfig(raw, detectFormat(raw)!, { file: "x.yaml" });
    assert.equal(r.recipe, raw);
    assert.equal(r.trainer, "orpo");
    assert.deepEqual(
      r.report.map((x) => [x.key, x.status]),
      [
        ["name", "mapped"],
        ["model", "mapped"],
        ["data", "mapped"],
        ["stages", "mapped"],
      ],
    );
  });
});

describe("overrides", () => {
  it("merge mappings, delete with null, merge stages by position or id", () => {
    const base = {
      model: { name: "m/x", dtype: "bfloat16" },
      stages: [{ id: "dpo", trainer: "dpo", args: { beta: 0.1, optim: "adamw_bnb_8bit" } }],
    };
    const merged = mergeOverride(base, {
      model: { name: null, tiny: { hidden_size: 64 } },
      stages: [{ args: { optim: "adamw_torch", pad_token: null } }],
    });
    assert.deepEqual(merged, {
      model: { dtype: "bfloat16", tiny: { hidden_size: 64 } },
      stages: [{ id: "dpo", trainer: "dpo", args: { beta: 0.1, optim: "adamw_torch" } }],
    });
    const byId = mergeOverride(
      { stages: [{ id: "sft" }, { id: "dpo", args: { beta: 0.1 } }] },
      { stages: [{ id: "dpo", args: { beta: 0.2 } }] },
    );
    assert.deepEqual(byId.stages, [{ id: "sft" }, { id: "dpo", args: { beta: 0.2 } }]);
  });
  it("local paths are rebased; Hub sources are left alone", () => {
    const moved = mapLocalPaths(
      { data: { train: "d/a.jsonl", eval: { hub: "o/x", split: "test" } }, output_dir: "out" },
      rebasePaths("/src", "/dst"),
    );
    assert.deepEqual(moved, {
      data: { train: "../src/d/a.jsonl", eval: { hub: "o/x", split: "test" } },
      output_dir: "../src/out",
    });
    assert.deepEqual(mapLocalPaths({ data: { train: { path: ["a.jsonl", "/abs/b.jsonl"] } } }, rebasePaths("/src")), {
      data: { train: { path: ["/src/a.jsonl", "/abs/b.jsonl"] } },
    });
  });
});
