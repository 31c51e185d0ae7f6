/**
 * LLaMA-Factory's newer (v1) layout: the real example configs in test/fixtures/llama-factory-v1
 * import through the same path as `trellis import` (dataset files read, recipe validated), with
 * one report row per key, nested block keys included; and what particular keys become.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { importRecipeFile } from "../../../../src/app/import.js";
import {
  detectFormat,
  importConfig,
  ImportError,
  type ImportResult,
  type Raw,
} from "../../../../src/core/interop/import/index.js";
import { parseRecipe } from "../../../../src/core/recipe/parse.js";
import { parseVersion } from "../../../../src/core/trl/version.js";
import { sourcePaths, uncovered } from "../../../helpers/report-keys.js";
import { needsWild, WILD } from "../../../helpers/wild.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", "..");
const V1 = path.join(ROOT, "test", "fixtures", "llama-factory-v1");
const WILD_V0 = path.join(WILD, "llama-factory", "examples_train_lora_qwen3_lora_dpo.yaml");
const TRL = "1.13.0";

const EXPECTED: Record<string, "sft" | "dpo"> = {
  "examples_v1_train_batching_strategy_train_full_fsdp2_dynamic_padding_free.yaml": "sft",
  "examples_v1_train_freeze_train_freeze_sft.yaml": "sft",
  "examples_v1_train_full_train_full_deepspeed.yaml": "sft",
  "examples_v1_train_full_train_full_liger_kernel.yaml": "sft",
  "examples_v1_train_full_train_full_muon.yaml": "sft",
  "examples_v1_train_full_train_full_qwen3_moe_fsdpturbo_ep_fsdp.yaml": "sft",
  "examples_v1_train_full_train_full_ulysses_cp.yaml": "sft",
  "examples_v1_train_lora_train_lora_dpo.yaml": "dpo",
  "examples_v1_train_lora_train_lora_sft.yaml": "sft",
  "examples_v1_train_qlora_quantization.yaml": "sft",
};
const FILES = readdirSync(V1)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

const row = (result: ImportResult, key: string) => {
  const found = result.report.find((r) => r.key === key);
  assert.ok(found, `a row for ${key}`);
  return found;
};
const stage = (result: ImportResult) => (result.recipe.stages as Array<Record<string, unknown>>)[0]!;
const args = (result: ImportResult) => stage(result).args as Record<string, unknown>;
const data = (result: ImportResult) => result.recipe.data as Record<string, unknown>;
const v1 = (
  raw: Raw,
  extra: { file?: string; datasetFiles?: Record<string, Raw>; trainer?: "sft" | "dpo" | "orpo" } = {},
) => importConfig(raw, "llamafactory", { file: "config.yaml", ...extra });
const validate = (r: ImportResult) =>
  parseRecipe(stringify(r.recipe), "imported.yaml", { trl: parseVersion(TRL)! }).recipe;

describe("LLaMA-Factory v1 example configs", () => {
  it("the fixture list is the one this test knows", () => assert.deepEqual(FILES, Object.keys(EXPECTED).sort()));

  for (const name of FILES) {
    it(`${name}: detected, every key reported once, the recipe validates`, async () => {
      const file = path.join(V1, name);
      const raw = parse(readFileSync(file, "utf8")) as Raw;
      assert.equal(detectFormat(raw), "llamafactory");
      const result = await importRecipeFile(file, { trlVersion: TRL });
      assert.equal(result.format, "llamafactory");
      assert.equal(result.trainer, EXPECTED[name], result.trainerReason);
      assert.equal(result.validated.stages[0]!.trainer, EXPECTED[name]);
      assert.deepEqual(uncovered(raw, result.report), []);
      const keys = result.report.map((r) => r.key);
      assert.deepEqual(
        keys.filter((k, i) => keys.indexOf(k) !== i),
        [],
        "duplicate rows",
      );
      const real = new Set(sourcePaths(raw));
      assert.deepEqual(
        keys.filter((k) => !real.has(k)),
        [],
        "rows for keys the source does not have",
      );
      // Blocks are reported key by key, not as one row.
      for (const [k, v] of Object.entries(raw)) {
        if (v !== null && typeof v === "object") assert.ok(!keys.includes(k), `${k} is reported by its keys`);
      }
      for (const r of result.report) {
        if (r.status !== "mapped") assert.ok(r.note.length > 10, `${r.key}: says why`);
      }
      // The dataset file next to the config was read: the data came from it.
      assert.ok(result.validated.data.train, "data.train from the dataset file");
    });
  }

  it("DPO with LoRA: the model string, the dataset file, the batch, cutoff_len and peft_config", async () => {
    const r = await importRecipeFile(path.join(V1, "examples_v1_train_lora_train_lora_dpo.yaml"), { trlVersion: TRL });
    assert.equal((r.recipe.model as Raw).name, "Qwen/Qwen3-4B");
    assert.deepEqual(data(r).train, { hub: "HuggingFaceH4/orca_dpo_pairs", split: "train_prefs" });
    assert.equal(row(r, "train_dataset").status, "mapped");
    assert.deepEqual(stage(r).peft, { r: 16, lora_alpha: 32, lora_dropout: 0.05, target_modules: "all-linear" });
    assert.deepEqual(args(r), {
      per_device_train_batch_size: 1,
      max_length: 2048,
      learning_rate: 1e-5,
      max_steps: 10,
      lr_scheduler_type: "constant",
      weight_decay: 0.01,
      save_strategy: "no",
      logging_steps: 1,
    });
    assert.equal(r.recipe.output_dir, "./outputs/test_lora");
    assert.equal(row(r, "dist_config.name").status, "unsupported");
    assert.match(
      row(r, "dist_config.name").note,
      /FSDP2 sharding is LLaMA-Factory's own plugin: in the recipe, set launch .*launch\.profile/,
    );
    assert.equal(row(r, "kernel_config.name").status, "mapped");
    assert.equal(row(r, "sample_backend").status, "mapped");
    assert.match(r.notes.join("\n"), /lr_scheduler_type "constant"/);
    const forced = await importRecipeFile(path.join(V1, "examples_v1_train_lora_train_lora_dpo.yaml"), {
      trlVersion: TRL,
      from: "llamafactory",
    });
    assert.deepEqual(forced.recipe, r.recipe);
  });

  it("DeepSpeed, Muon, freeze tuning and unknown kernels are reported with the reason; bnb quantization is mapped", async () => {
    const load = (name: string) => importRecipeFile(path.join(V1, name), { trlVersion: TRL });
    const ds = await load("examples_v1_train_full_train_full_deepspeed.yaml");
    assert.match(
      row(ds, "dist_config.name").note,
      /DeepSpeed is LLaMA-Factory's own plugin: .*launch\.config_file \(a DeepSpeed \.json\)/,
    );
    assert.match(row(ds, "dist_config.config_file").note, /part of dist_config "deepspeed"/);
    const q = await load("examples_v1_train_qlora_quantization.yaml");
    assert.equal(row(q, "quant_config.name").to, "model.quantization");
    assert.equal(row(q, "quant_config.quantization_bit").to, "model.quantization.bits");
    assert.deepEqual((q.recipe.model as Raw).quantization, { bits: 4, quant_type: "nf4", double_quant: true });
    assert.deepEqual(q.recipe.extras, ["bitsandbytes"]);
    const muon = await load("examples_v1_train_full_train_full_muon.yaml");
    assert.equal(row(muon, "optim_config.name").status, "unsupported");
    assert.equal(args(muon).weight_decay, undefined, "no AdamW default when another optimizer was asked for");
    const freeze = await load("examples_v1_train_freeze_train_freeze_sft.yaml");
    assert.match(row(freeze, "peft_config.name").note, /freeze tuning/);
    assert.equal(stage(freeze).peft, undefined);
    const moe = await load("examples_v1_train_full_train_full_qwen3_moe_fsdpturbo_ep_fsdp.yaml");
    assert.match(row(moe, "kernel_config.name").note, /flash-linear-attention/);
    assert.equal(row(moe, "dist_config.ep_size").status, "unsupported");
    const liger = await load("examples_v1_train_full_train_full_liger_kernel.yaml");
    assert.equal(args(liger).use_liger_kernel, true);
    const sft = await load("examples_v1_train_lora_train_lora_sft.yaml");
    assert.deepEqual(data(sft).train, { path: ["data/identity.json", "data/alpaca_en_demo.json"] });
    assert.deepEqual(data(sft).columns, { prompt: "instruction", completion: "output" });
    assert.equal(row(sft, "train_dataset").status, "migrated");
    assert.match(row(sft, "train_dataset").note, /size 500/);
  });
});

describe("LLaMA-Factory v1 keys", () => {
  const base = { model: "org/m", train_dataset: "data/pairs.jsonl", micro_batch_size: 2, cutoff_len: 512 };

  it("a data file is data.train with its format from the extension; a Hub id is a Hub dataset", () => {
    const r = v1({ ...base, pref_beta: 0.2 });
    assert.deepEqual(data(r).train, { path: "data/pairs.jsonl" });
    assert.match(row(r, "train_dataset").note, /its own format/);
    assert.equal(r.trainer, "dpo");
    assert.equal(args(r).beta, 0.2);
    assert.equal(args(r).per_device_train_batch_size, 2);
    assert.equal(args(r).max_length, 512);
    validate(r);
    const hub = v1({ ...base, train_dataset: "org/pairs", eval_dataset: "held/out.parquet" }, { trainer: "dpo" });
    assert.deepEqual(data(hub).train, { hub: "org/pairs", split: "train" });
    assert.deepEqual(data(hub).eval, { path: "held/out.parquet" });
    assert.match(row(hub, "eval_dataset").note, /does not evaluate on it yet/);
    validate(hub);
  });

  it("pref_loss picks DPO or ORPO; simpo is refused; pref_ftx adds the SFT loss", () => {
    const orpo = v1({ ...base, pref_loss: "orpo", pref_beta: 0.15 });
    assert.equal(orpo.trainer, "orpo");
    assert.equal(args(orpo).beta, 0.15);
    assert.equal(row(orpo, "pref_loss").to, "stages[0].trainer");
    validate(orpo);
    const dpo = v1({ ...base, pref_loss: "sigmoid", pref_ftx: 0.3, dpo_label_smoothing: 0.1 });
    assert.equal(dpo.trainer, "dpo");
    assert.deepEqual(args(dpo).loss_type, ["sigmoid", "sft"]);
    assert.deepEqual(args(dpo).loss_weights, [1.0, 0.3]);
    assert.equal(args(dpo).label_smoothing, 0.1);
    validate(dpo);
    assert.throws(() => v1({ ...base, pref_loss: "simpo" }), ImportError);
  });

  it("global_batch_size becomes gradient accumulation on one process", () => {
    const r = v1({ ...base, global_batch_size: 16 });
    assert.equal(args(r).gradient_accumulation_steps, 8);
    assert.equal(row(r, "global_batch_size").status, "migrated");
    assert.equal(row(v1({ ...base, global_batch_size: 5 }), "global_batch_size").status, "unsupported");
  });

  it("peft_config: LLaMA-Factory's LoRA defaults, one module name, adapters and export settings", () => {
    const r = v1({
      ...base,
      peft_config: { name: "lora", target_modules: "q_proj", adapter_name_or_path: "out/lora", export_dir: "merged" },
    });
    assert.deepEqual(stage(r).peft, { r: 8, lora_alpha: 16, lora_dropout: 0.05, target_modules: ["q_proj"] });
    assert.equal(row(r, "peft_config.adapter_name_or_path").status, "unsupported");
    assert.match(row(r, "peft_config.export_dir").note, /llamafactory-cli merge/);
    validate(r);
  });

  it("the dataset file decides: pair data is DPO; a missing file is reported and leaves data.train to the user", () => {
    const files = {
      "data/mine.yaml": {
        a: { path: "data/a.jsonl", source: "local", converter: "pair" },
        b: { path: "data/b.jsonl", source: "local", converter: "pair" },
      },
    };
    const r = v1({ ...base, train_dataset: "data/mine.yaml" }, { datasetFiles: files });
    assert.equal(r.trainer, "dpo");
    assert.deepEqual(data(r).train, { path: ["data/a.jsonl", "data/b.jsonl"] });
    assert.equal(row(r, "train_dataset").status, "mapped");
    const missing = v1({ ...base, train_dataset: "data/gone.yaml" });
    assert.equal(missing.trainer, "sft");
    assert.equal(row(missing, "train_dataset").status, "unsupported");
    assert.match(missing.notes.join("\n"), /no training data/);
    const hub = v1({ ...base, train_dataset: "llamafactory/v1-sft-demo/dataset_info.yaml" });
    assert.match(row(hub, "train_dataset").note, /on the Hub/);
    const sharegpt = v1(
      { ...base, train_dataset: "d.yaml" },
      { datasetFiles: { "d.yaml": { s: { path: "org/x", converter: "sharegpt" } } } },
    );
    assert.match(row(sharegpt, "train_dataset").note, /sharegpt/);
  });

  it("other keys: chat template, attention, parallelism, sampling, keys v1 does not have", () => {
    const r = v1({
      ...base,
      custom_chat_template: "{% for m in messages %}{{ m.content }}{% endfor %}",
      flash_attn: "eager",
      cp_size: 2,
      cp_mode: "ulysses",
      save_epochs: 1,
      enable_activation_checkpointing: false,
      warmup_steps: 10,
    });
    assert.match(String((r.recipe.model as Raw).chat_template), /for m in messages/);
    assert.equal(row(r, "flash_attn").status, "unsupported");
    assert.equal(row(r, "cp_size").status, "unsupported");
    assert.equal(row(r, "cp_mode").status, "unsupported");
    assert.equal(args(r).save_strategy, "epoch");
    assert.equal(args(r).gradient_checkpointing, false);
    assert.match(row(r, "warmup_steps").note, /not an argument of LLaMA-Factory v1/);
    validate(r);
  });

  it("every field of v1's argument dataclasses gets exactly one row, and the recipe validates", () => {
    // Each field of ModelArguments, DataArguments, TrainingArguments and SampleArguments
    // (src/llamafactory/v1/config/*_args.py), at a value other than its default where it has one.
    const raw: Raw = {
      model: "org/m",
      custom_chat_template: "{{ messages }}",
      trust_remote_code: true,
      flash_attn: "sdpa",
      model_class: "llm",
      init_config: { name: "init_on_rank0" },
      peft_config: {
        name: "lora",
        r: 4,
        lora_alpha: 8,
        lora_dropout: 0.1,
        target_modules: ["q_proj", "v_proj"],
        use_rslora: true,
        use_dora: false,
        modules_to_save: ["lm_head"],
      },
      kernel_config: { name: "liger_kernel", use_kernels: "auto" },
      quant_config: null,
      train_dataset: "data/train.jsonl",
      eval_dataset: "data/eval.jsonl",
      output_dir: "out",
      micro_batch_size: 2,
      global_batch_size: 8,
      cutoff_len: 1024,
      learning_rate: 5e-6,
      num_train_epochs: 2,
      max_steps: 100,
      max_grad_norm: 0.5,
      bf16: false,
      batching_strategy: "normal",
      batching_workers: 2,
      enable_activation_checkpointing: true,
      dist_config: { name: "fsdp2", reshard_after_forward: true, offload_params: false },
      dp_size: null,
      cp_size: 1,
      cp_mode: "ulysses",
      mp_replicate_size: 1,
      mp_shard_size: null,
      dist_timeout: 600,
      optim_config: null,
      lr_scheduler_config: null,
      seed: 7,
      full_determinism: false,
      resume_from_checkpoint: null,
      save_steps: 50,
      save_epochs: null,
      save_ckpt_as_hf: true,
      save_total_limit: 2,
      logging_steps: 5,
      pref_loss: "sigmoid",
      pref_beta: 0.05,
      pref_ftx: 0,
      simpo_gamma: 0.5,
      dpo_label_smoothing: 0.1,
      ld_alpha: 0.5,
      sample_backend: "hf",
      max_new_tokens: 64,
    };
    const r = v1(raw);
    assert.deepEqual(uncovered(raw, r.report), []);
    const keys = r.report.map((x) => x.key);
    assert.deepEqual(
      keys.filter((k, i) => keys.indexOf(k) !== i),
      [],
    );
    assert.deepEqual(
      keys.filter((k) => !new Set(sourcePaths(raw)).has(k)),
      [],
    );
    assert.deepEqual(
      r.report.filter((x) => x.status === "unsupported").map((x) => x.key),
      ["dist_config.name", "dist_config.reshard_after_forward"],
    );
    assert.equal(r.trainer, "dpo");
    assert.equal(args(r).gradient_accumulation_steps, 4);
    assert.equal(args(r).use_liger_kernel, true);
    assert.equal(args(r).ld_alpha, 0.5);
    assert.deepEqual(stage(r).peft, {
      r: 4,
      lora_alpha: 8,
      lora_dropout: 0.1,
      target_modules: ["q_proj", "v_proj"],
      use_rslora: true,
      use_dora: false,
      modules_to_save: ["lm_head"],
    });
    validate(r);
  });

  it("a block without a plugin name is one unsupported row", () => {
    const r = v1({ ...base, peft_config: { r: 8 } });
    assert.equal(row(r, "peft_config").status, "unsupported");
    assert.ok(!r.report.some((x) => x.key.startsWith("peft_config.")));
  });

  it("detection tells v1 from the older layout and from axolotl", needsWild, () => {
    assert.equal(detectFormat({ model: "org/m", cutoff_len: 1024 }), "llamafactory");
    assert.equal(detectFormat({ model: "org/m", peft_config: { name: "lora" } }), "llamafactory");
    assert.equal(detectFormat({ base_model: "org/m", micro_batch_size: 2 }), "axolotl");
    assert.equal(detectFormat({ model: "org/m" }), undefined, "a lone model string is not evidence");
    const old = parse(readFileSync(WILD_V0, "utf8")) as Raw;
    const r = importConfig(old, detectFormat(old)!, { file: WILD_V0 });
    assert.equal(row(r, "model_name_or_path").to, "model.name", "the older layout still goes to its own importer");
  });
});
