/**
 * LLaMA-Factory's newer (v1, `USE_V1=1`) layout: the fields of ModelArguments, DataArguments,
 * TrainingArguments and SampleArguments (src/llamafactory/v1/config/*_args.py) plus plugin
 * blocks. `model: Qwen/Qwen3-4B` is the model, `train_dataset` a dataset file, `micro_batch_size`
 * and `global_batch_size` the batch, `cutoff_len` the length. The trainer is the command
 * (`llamafactory-cli sft|dpo`), not a key: the file's pref_* keys, its data and its name tell it.
 */
import type { Trainer } from "../../../recipe/schema.js";
import { mapTrlArg } from "../args.js";
import { STAGE, type Draft } from "../draft.js";
import { BLOCKS, importBlock } from "./v1-blocks.js";
import { importV1Dataset, isDatasetFile, pairDatasets } from "./v1-data.js";
import { isJinja } from "../templates.js";
import { hint, type TrainerChoice } from "../trainer.js";
import { ImportError, emptyNote, isEmpty, isMapping, isString, show, type Raw } from "../types.js";

/** Keys no other layout has (v0 LLaMA-Factory, axolotl, TRL, the handbook). */
const V1_ONLY = [
  "train_dataset",
  ...BLOCKS,
  "model_class",
  "batching_strategy",
  "batching_workers",
  "custom_chat_template",
  "sample_backend",
  "enable_activation_checkpointing",
  "global_batch_size",
  "save_ckpt_as_hf",
  "cp_mode",
  "mp_shard_size",
];
const V1_TRAINING = ["cutoff_len", "micro_batch_size", "pref_beta", "pref_loss", "learning_rate", "max_steps"];

/** The v1 layout, from its keys: for detection (`strict`) and to pick the layout under --from. */
export function isLlamaFactoryV1(raw: Raw, strict = false): boolean {
  const has = (k: string) => k in raw;
  if (has("base_model") || has("model_name_or_path") || has("stage")) return false;
  if (V1_ONLY.some(has)) return true;
  return isString(raw.model) && (!strict || V1_TRAINING.some(has));
}

const PREF_KEYS = ["pref_beta", "pref_ftx", "dpo_label_smoothing", "ld_alpha"];

export function llamaFactoryV1Trainer(
  raw: Raw,
  file: string,
  files: Record<string, Raw> | undefined,
  forced?: Trainer,
): TrainerChoice {
  const loss = raw.pref_loss;
  if (loss !== undefined && loss !== "sigmoid" && loss !== "orpo") {
    throw new ImportError(
      `pref_loss: ${show(loss)}: trellis's preference trainers are DPO (pref_loss sigmoid) and ORPO (pref_loss orpo)`,
    );
  }
  if (forced) return { trainer: forced, reason: "--trainer" };
  if (loss === "orpo")
    return { trainer: "orpo", reason: "pref_loss: orpo (`llamafactory-cli dpo` with the odds-ratio loss)" };
  if (loss === "sigmoid") return { trainer: "dpo", reason: "pref_loss: sigmoid (`llamafactory-cli dpo`)" };
  const pref = PREF_KEYS.filter((k) => k in raw);
  if (pref.length)
    return {
      trainer: "dpo",
      reason: `${pref.join(", ")}: only \`llamafactory-cli dpo\` reads ${pref.length > 1 ? "them" : "it"}`,
    };
  const dataset = raw.train_dataset;
  if (isDatasetFile(dataset) && pairDatasets(files?.[dataset]))
    return {
      trainer: "dpo",
      reason: `${dataset} reads chosen/rejected pairs (converter pair), which \`llamafactory-cli dpo\` trains on`,
    };
  const base = file.split(/[\\/]/).pop() ?? file;
  const named = hint(base, ["sft", "dpo", "orpo"]);
  if (named) return { trainer: named.trainer, reason: `the file name (${base})` };
  return {
    trainer: "sft",
    reason:
      "no pref_* keys, pair data or file name point to DPO: SFT, as `llamafactory-cli sft` (use --trainer dpo for `llamafactory-cli dpo`)",
  };
}

type Handler = (d: Draft, raw: Raw, key: string, value: unknown) => void;
const unsetOr =
  (reason: string, isDefault: (v: unknown) => boolean = () => false): Handler =>
  (d, _raw, key, v) =>
    isEmpty(v) || v === false || isDefault(v)
      ? d.report.unset(key, isDefault(v) ? `${show(v)}: the default` : emptyNote(v))
      : d.report.unsupported(key, reason);
const renamed =
  (name: string): Handler =>
  (d, raw, key, v) =>
    mapTrlArg(d, raw, key, name, v, `LLaMA-Factory's ${key} is TRL's ${name}`);
const same: Handler = (d, raw, key, v) => mapTrlArg(d, raw, key, key, v);
const ONE_PROCESS = "trellis runs each stage as one process on one device: there is nothing to parallelise";
const SAMPLER = "used by LLaMA-Factory's sampler (`llamafactory-cli chat`), not by training";

const HANDLERS: Record<string, Handler> = {
  // ModelArguments
  model: (d, _raw, key, v) =>
    isString(v)
      ? ((d.model.name = v), d.report.mapped(key, "model.name"))
      : d.report.unsupported(key, `must be a Hub id or a local folder (got ${show(v)})`),
  custom_chat_template: (d, _raw, key, v) => {
    if (isEmpty(v)) return d.report.unset(key);
    if (!isString(v) || !isJinja(v))
      return d.report.unsupported(key, `model.chat_template takes a Jinja template (got ${show(v)})`);
    d.model.chat_template = v;
    d.report.mapped(key, "model.chat_template", "replaces the tokenizer's template");
  },
  trust_remote_code: same,
  flash_attn: unsetOr(
    "trellis loads the model with transformers' default attention (sdpa where it is available); the recipe has no attention setting",
    (v) => v === "sdpa",
  ),
  model_class: unsetOr("trellis trains causal language models (AutoModelForCausalLM) only", (v) => v === "llm"),
  // TrainingArguments
  output_dir: same,
  micro_batch_size: renamed("per_device_train_batch_size"),
  global_batch_size: (d, raw, key, v) => {
    if (isEmpty(v))
      return d.report.unset(key, "null: one micro batch per step, as trellis's default accumulation of 1");
    const micro = typeof raw.micro_batch_size === "number" ? raw.micro_batch_size : 1;
    if (!Number.isInteger(v) || (v as number) < micro || (v as number) % micro !== 0)
      return d.report.unsupported(key, `must be a multiple of micro_batch_size ${micro} (got ${show(v)})`);
    d.setArg(
      key,
      "gradient_accumulation_steps",
      (v as number) / micro,
      "migrated",
      `global ${v as number} / micro ${micro} on one process (LLaMA-Factory also divides by the data-parallel size)`,
    );
  },
  cutoff_len: renamed("max_length"),
  learning_rate: same,
  num_train_epochs: same,
  max_steps: same,
  max_grad_norm: same,
  bf16: same,
  seed: same,
  full_determinism: same,
  resume_from_checkpoint: same,
  save_steps: same,
  save_total_limit: same,
  logging_steps: same,
  batching_strategy: unsetOr(
    "trellis batches as TRL does (padded batches); padding-free and dynamic batching are not recipe settings",
    (v) => v === "normal",
  ),
  batching_workers: renamed("dataloader_num_workers"),
  enable_activation_checkpointing: renamed("gradient_checkpointing"),
  dp_size: unsetOr(ONE_PROCESS),
  cp_size: unsetOr(`context parallelism: ${ONE_PROCESS}`, (v) => v === 1),
  cp_mode: (d, raw, key) =>
    raw.cp_size === undefined || raw.cp_size === 1
      ? d.report.unset(key, "only used with cp_size above 1")
      : d.report.unsupported(key, `context parallelism: ${ONE_PROCESS}`),
  mp_replicate_size: unsetOr(ONE_PROCESS, (v) => v === 1),
  mp_shard_size: unsetOr(ONE_PROCESS),
  dist_timeout: (d, _raw, key) =>
    d.report.unset(key, "a process-group timeout: trellis runs one process, with no process group to wait for"),
  save_epochs: (d, raw, key, v) => {
    if (isEmpty(v)) return d.report.unset(key);
    if (v === 1)
      return mapTrlArg(d, raw, key, "save_strategy", "epoch", "a checkpoint every epoch: TRL's save_strategy epoch");
    d.report.unsupported(
      key,
      `TRL saves every epoch (save_strategy epoch) or every N steps (save_steps); a checkpoint every ${show(v)} epochs needs save_steps = ${show(v)} x the steps per epoch`,
    );
  },
  save_ckpt_as_hf: (d, _raw, key) => d.report.unset(key, "TRL's checkpoints are always in Hugging Face format"),
  pref_loss: (d, _raw, key, v) => {
    if (d.trainer === "orpo")
      return v === "orpo"
        ? d.report.mapped(
            key,
            `${STAGE}.trainer`,
            "orpo: TRL's ORPOTrainer (the same NLL + beta x odds-ratio loss as LLaMA-Factory's)",
          )
        : d.report.unsupported(key, `the stage trains ORPO (--trainer); ${show(v)} is not used`);
    if (d.trainer === "dpo" && (v === "sigmoid" || isEmpty(v)))
      return d.report.mapped(key, `${STAGE}.trainer`, "sigmoid: DPO's default loss");
    d.report.unsupported(
      key,
      `the stage trains ${d.trainer.toUpperCase()} (--trainer); pref_loss ${show(v)} is not used`,
    );
  },
  pref_beta: (d, raw, key, v) =>
    mapTrlArg(
      d,
      raw,
      key,
      "beta",
      v,
      d.trainer === "orpo"
        ? "LLaMA-Factory's pref_beta is ORPOConfig's beta (the odds-ratio weight)"
        : "LLaMA-Factory's pref_beta is TRL's beta",
    ),
  pref_ftx: (d, _raw, key, v) => {
    if (isEmpty(v) || v === 0) return d.report.unset(key, "0: no SFT term");
    if (d.trainer !== "dpo" || typeof v !== "number")
      return d.report.unsupported(key, `an SFT loss weight for DPO (got ${show(v)} for ${d.trainer})`);
    d.deriveArg(key, "loss_weights", [1.0, v]);
    d.setArg(
      key,
      "loss_type",
      ["sigmoid", "sft"],
      "migrated",
      `DPO plus ${v} x the SFT loss: loss_type [sigmoid, sft], loss_weights [1.0, ${v}]`,
    );
  },
  simpo_gamma: (d, raw, key) =>
    d.report.unset(
      key,
      raw.pref_loss === "simpo" ? "SimPO is not a trellis trainer" : "only used with pref_loss simpo",
    ),
  dpo_label_smoothing: renamed("label_smoothing"),
  ld_alpha: same,
  // DataArguments
  train_dataset: () => undefined,
  eval_dataset: () => undefined,
  // SampleArguments
  sample_backend: (d, _raw, key) => d.report.unset(key, SAMPLER),
  max_new_tokens: (d, _raw, key) => d.report.unset(key, SAMPLER),
};

/**
 * Where LLaMA-Factory v1's defaults differ from TRL's and the file is silent, the recipe states
 * them: its trainer builds torch's AdamW (weight decay 0.01) with a constant LambdaLR schedule
 * unless optim_config / lr_scheduler_config say otherwise (core/base_trainer.py), and saves
 * only the final model unless save_steps / save_epochs are set.
 */
function defaults(raw: Raw): Array<[name: string, value: unknown, why: string]> {
  const out: Array<[string, unknown, string]> = [];
  if (raw.learning_rate === undefined) out.push(["learning_rate", 1e-4, "1e-4"]);
  if (raw.cutoff_len === undefined) out.push(["max_length", 2048, "cutoff_len 2048"]);
  if (!isMapping(raw.lr_scheduler_config))
    out.push(["lr_scheduler_type", "constant", "a constant learning rate, no warmup"]);
  if (!isMapping(raw.optim_config)) out.push(["weight_decay", 0.01, "torch AdamW's weight decay 0.01"]);
  if (isEmpty(raw.save_steps) && isEmpty(raw.save_epochs))
    out.push(["save_strategy", "no", "no checkpoints before the final model"]);
  if (raw.logging_steps === undefined) out.push(["logging_steps", 1, "a log line every step"]);
  return out;
}

export function importLlamaFactoryV1(d: Draft, raw: Raw, files?: Record<string, Raw>): void {
  for (const [key, value] of Object.entries(raw)) {
    const handler = HANDLERS[key];
    if ((BLOCKS as readonly string[]).includes(key)) importBlock(d, key as (typeof BLOCKS)[number], value, raw);
    else if (handler) handler(d, raw, key, value);
    else
      d.report.unsupported(
        key,
        "not an argument of LLaMA-Factory v1 (ModelArguments, DataArguments, TrainingArguments, SampleArguments): it refuses the file, or ignores the key with ALLOW_EXTRA_KEYS",
      );
  }
  if ("train_dataset" in raw) importV1Dataset(d, "train_dataset", raw.train_dataset, "train", files);
  if ("eval_dataset" in raw) importV1Dataset(d, "eval_dataset", raw.eval_dataset, "eval", files);
  const applied = defaults(raw).filter(([name, value]) => {
    if (name in d.args) return false;
    d.deriveArg("(LLaMA-Factory v1 defaults)", name, value);
    return true;
  });
  if (applied.length)
    d.report.note(
      `LLaMA-Factory v1's defaults where the file is silent and TRL's differ, written into the stage's args: ${applied.map(([n, v, why]) => `${n} ${JSON.stringify(v)} (${why})`).join(", ")}`,
    );
}
