/**
 * Flat configs: `trl sft|dpo --config x.yaml` and the alignment-handbook's recipes. One mapping
 * of TRL config fields plus ModelConfig / ScriptArguments keys (and the handbook's own).
 */
import { shown } from "../../shown.js";
import { fieldInfo } from "../../trl/fields.js";
import { mapTrlArg } from "./args.js";
import { MODEL_HANDLERS, type Handler } from "./model-keys.js";
import { STAGE, type Draft } from "./draft.js";
import { DATA_KEYS, importFlatData } from "./flat-data.js";
import { NEEDS_ADAPTER, quantSetting, setAttention, setQuantization } from "./quantization.js";
import { isJinja } from "./templates.js";
import { emptyNote, isEmpty, isString, show, type Raw } from "./types.js";

const DTYPES = ["auto", "float32", "bfloat16", "float16"];

export function dtype(d: Draft, key: string, value: unknown, renamed?: string): void {
  const r = d.report;
  if (isEmpty(value))
    return r.unset(key, `${renamed ? `${renamed}; ` : ""}null: the checkpoint's own dtype (model.dtype auto)`);
  if (typeof value !== "string" || !DTYPES.includes(value))
    return r.unsupported(key, `model.dtype takes ${DTYPES.join(", ")} (got ${show(value)})`);
  d.model.dtype = value;
  renamed ? r.migrated(key, "model.dtype", renamed) : r.mapped(key, "model.dtype");
}

const notSet =
  (reason: string): Handler =>
  (d, _raw, key, value) =>
    isEmpty(value) || value === false ? d.report.unset(key, emptyNote(value)) : d.report.unsupported(key, reason);

const peftOnly =
  (field: string, check: (v: unknown) => boolean, expected: string): Handler =>
  (d, raw, key, value) => {
    if (raw.use_peft !== true) return d.report.unset(key, "use_peft is not true: TRL does not use it either");
    if (isEmpty(value)) return d.report.unset(key, "null: PEFT's default");
    if (!check(value)) return d.report.unsupported(key, `must be ${expected} (got ${show(value)})`);
    d.enablePeft()[field] = value;
    d.report.mapped(key, `${STAGE}.peft.${field}`);
  };
const fourBit = (raw: Raw) => raw.load_in_4bit === true && raw.use_peft === true;
const isStringList = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every(isString);

const HANDLERS: Record<string, Handler> = {
  ...MODEL_HANDLERS,
  dtype: (d, _raw, key, v) => dtype(d, key, v),
  torch_dtype: (d, _raw, key, v) => dtype(d, key, v, "renamed dtype in TRL 0.23"),
  attn_implementation: (d, _raw, key, v) =>
    isEmpty(v) ? d.report.unset(key, "null: transformers' default attention") : setAttention(d, key, v),
  use_flash_attention_2: (d, raw, key, v) => {
    if (v !== true) return d.report.unset(key, emptyNote(v));
    if (!isEmpty(raw.attn_implementation))
      return d.report.unsupported(key, "attn_implementation is also given and is used");
    setAttention(d, key, "flash_attention_2", "the handbook's older name for attn_implementation: flash_attention_2");
  },
  tokenizer_name_or_path: notSet("trellis loads the tokenizer from model.name"),
  model_code_revision: notSet("trellis loads the model's code at model.revision"),
  base_model_revision: notSet("trellis has no separate base-model revision"),
  chat_template: (d, _raw, key, v) => {
    if (isEmpty(v)) return d.report.unset(key);
    if (!isString(v) || !isJinja(v))
      return d.report.unsupported(key, `model.chat_template takes a Jinja template (got ${show(v)})`);
    d.model.chat_template = v;
    d.report.mapped(key, "model.chat_template", "replaces the tokenizer's template");
  },
  use_peft: (d, raw, key, v) => {
    if (v !== true) return d.report.unset(key, "false: full fine-tuning");
    d.enablePeft();
    const note =
      raw.lora_target_modules === undefined
        ? "LoRA; lora_target_modules is not set: TRL leaves the choice to PEFT's per-architecture default (often q_proj, v_proj), trellis targets all-linear"
        : "LoRA";
    d.report.mapped(key, `${STAGE}.peft`, note);
  },
  lora_r: peftOnly("r", (v) => Number.isInteger(v) && (v as number) > 0, "a positive integer"),
  lora_alpha: peftOnly("lora_alpha", (v) => typeof v === "number" && v > 0, "a positive number"),
  lora_dropout: peftOnly("lora_dropout", (v) => typeof v === "number" && v >= 0 && v <= 1, "a number between 0 and 1"),
  lora_target_modules: peftOnly(
    "target_modules",
    (v) => v === "all-linear" || isStringList(v),
    "'all-linear' or a list of module names",
  ),
  lora_modules_to_save: peftOnly("modules_to_save", isStringList, "a list of module names"),
  use_rslora: peftOnly("use_rslora", (v) => typeof v === "boolean", "true or false"),
  use_dora: peftOnly("use_dora", (v) => typeof v === "boolean", "true or false"),
  lora_task_type: (d, _raw, key, v) =>
    v === "CAUSAL_LM" || isEmpty(v)
      ? d.report.unset(key, "trellis's LoRA is always CAUSAL_LM")
      : d.report.unsupported(key, `trellis trains causal LMs only (got ${show(v)})`),
  lora_target_parameters: notSet("the recipe's peft block has no target_parameters"),
  load_in_4bit: (d, raw, key, v) => {
    if (v !== true) return d.report.unset(key, emptyNote(v));
    if (raw.use_peft !== true)
      return d.report.unsupported(
        key,
        `${NEEDS_ADAPTER}; TRL trains a 4-bit model only with use_peft: true, which this config does not set`,
      );
    // TRL's ModelConfig defaults: nf4, no nested quantisation, compute dtype = dtype.
    setQuantization(
      d,
      key,
      { bits: 4, quant_type: "nf4", double_quant: false },
      "QLoRA: bitsandbytes 4-bit, computing in model.dtype as TRL does",
    );
  },
  load_in_8bit: (d, raw, key, v) => {
    if (v !== true) return d.report.unset(key, emptyNote(v));
    if (raw.load_in_4bit === true) return d.report.unsupported(key, "load_in_4bit is also set and is used");
    if (raw.use_peft !== true)
      return d.report.unsupported(
        key,
        `${NEEDS_ADAPTER}; TRL trains an 8-bit model only with use_peft: true, which this config does not set`,
      );
    setQuantization(d, key, { bits: 8 }, "LoRA on bitsandbytes 8-bit weights");
  },
  bnb_4bit_quant_type: (d, raw, key, v) => quantSetting(d, key, "quant_type", v, fourBit(raw)),
  use_bnb_nested_quant: (d, raw, key, v) => quantSetting(d, key, "double_quant", v, fourBit(raw)),
  bnb_4bit_quant_storage: (d, raw, key, v) => quantSetting(d, key, "quant_storage", v, fourBit(raw)),
  preprocessing_num_workers: (d, raw, key, v) =>
    isEmpty(v)
      ? d.report.unset(key)
      : mapTrlArg(
          d,
          raw,
          key,
          "dataset_num_proc",
          v,
          "the handbook's preprocessing workers are TRL's dataset_num_proc",
        ),
  truncation_side: (d, raw, key, v) => {
    if (isEmpty(v)) return d.report.unset(key);
    if ((v !== "left" && v !== "right") || !fieldInfo(d.trainer, "truncation_mode"))
      return d.report.unsupported(key, `the ${d.trainer} trainer has no truncation side setting (got ${show(v)})`);
    mapTrlArg(
      d,
      raw,
      key,
      "truncation_mode",
      v === "left" ? "keep_end" : "keep_start",
      `truncating on the ${v} keeps the ${v === "left" ? "end" : "start"}`,
    );
  },
  auto_insert_empty_system_msg: (d, _raw, key, v) =>
    v === true
      ? d.report.unsupported(
          key,
          "trellis passes messages to the chat template as they are (no empty system message is added)",
        )
      : d.report.unset(key),
  text_column: (d, _raw, key, v) =>
    v === "text" || isEmpty(v)
      ? d.report.unset(key, "'text' is the standard column")
      : ((d.columns.text = shown(v)), d.report.mapped(key, "data.columns.text")),
  hub_model_revision: (d, raw, key, v) =>
    isString(v)
      ? mapTrlArg(d, raw, key, "hub_revision", v, "the handbook's hub_model_revision is TRL's hub_revision")
      : d.report.unset(key),
  ignore_bias_buffers: notSet("a DDP workaround; trellis runs each stage as one process"),
  env: notSet("trellis does not set environment variables from the recipe: export them before `trellis run`"),
  trainer: (d, _raw, key, v) =>
    v === d.trainer
      ? d.report.mapped(key, `${STAGE}.trainer`)
      : d.report.unsupported(key, `the stage's trainer is ${d.trainer} (got ${show(v)})`),
};

/**
 * The SimPO repository's own SimPOConfig (princeton-nlp/SimPO, handbook-style configs): beta
 * (2.0 by default there), gamma_beta_ratio (0.5) and sft_weight (0.0); its loss_type sigmoid is
 * TRL's loss_type simpo (hinge has no TRL counterpart).
 */
const SIMPO_REPO = { beta: 2.0, gamma_beta_ratio: 0.5, sft_weight: 0.0 };
const num = (v: unknown, fallback: number) => (typeof v === "number" ? v : fallback);
const SIMPO_HANDLERS: Record<string, Handler> = {
  gamma_beta_ratio: (d, raw, key, v) => {
    const beta = num(raw.beta, SIMPO_REPO.beta);
    const gamma = num(v, SIMPO_REPO.gamma_beta_ratio) * beta;
    d.setArg(key, "simpo_gamma", gamma, "migrated", `gamma = gamma_beta_ratio x beta = ${gamma} (TRL's simpo_gamma)`);
  },
  sft_weight: (d, raw, key, v) =>
    d.setArg(key, "cpo_alpha", num(v, 0), "migrated", "the SimPO repository's sft_weight is CPOConfig's cpo_alpha"),
  loss_type: (d, _raw, key, v) =>
    v === "sigmoid" || v === "simpo"
      ? d.report.mapped(key, `${STAGE}.trainer`, "SimPO's sigmoid loss: TRL's CPOConfig loss_type simpo")
      : d.report.unsupported(key, `TRL's SimPO has only the sigmoid form (got ${show(v)})`),
};

export function importFlat(d: Draft, raw: Raw): void {
  importFlatData(d, raw);
  for (const [key, value] of Object.entries(raw)) {
    if (DATA_KEYS.has(key)) continue;
    const handler = (d.trainer === "simpo" ? SIMPO_HANDLERS[key] : undefined) ?? HANDLERS[key];
    if (handler) handler(d, raw, key, value);
    else mapTrlArg(d, raw, key, key, value);
  }
  if (d.trainer === "simpo") {
    // What the SimPO repository trains with where its config is silent, not trellis's preset.
    d.deriveArg("gamma_beta_ratio", "beta", SIMPO_REPO.beta);
    d.deriveArg("gamma_beta_ratio", "simpo_gamma", SIMPO_REPO.gamma_beta_ratio * num(raw.beta, SIMPO_REPO.beta));
    d.deriveArg("gamma_beta_ratio", "cpo_alpha", SIMPO_REPO.sft_weight);
  }
  if (raw.dtype === undefined && raw.torch_dtype === undefined) {
    d.report.note(
      "no dtype: TRL's CLI would load the model in float32; the recipe uses model.dtype auto (the checkpoint's own dtype)",
    );
  }
}
