/**
 * axolotl configs: `rl: dpo|ipo|orpo|simpo` (none: SFT), `base_model`, `datasets: [{path, split, type}]`,
 * `adapter: lora|qlora`, axolotl's names for training arguments (`micro_batch_size`, `num_epochs`,
 * `rl_beta`, `orpo_alpha`, `dpo_loss_type`, `sequence_len`...). Keys axolotl shares with
 * TrainingArguments go to the stage's args as they are.
 */
import { configClass, fieldInfo } from "../../trl/fields.js";
import { mapTrlArg } from "./args.js";
import type { Handler } from "./model-keys.js";
import { STAGE, type Draft } from "./draft.js";
import { NEEDS_ADAPTER, quantSetting, setAttention, setQuantization } from "./quantization.js";
import { importAxolotlData, AXOLOTL_DATA_KEYS } from "./axolotl-data.js";
import { NAMED_TEMPLATES, isJinja } from "./templates.js";
import { ImportError, emptyNote, isEmpty, isMapping, isString, show, type Raw } from "./types.js";
import type { Trainer } from "../../recipe/schema.js";

/** The trainer an axolotl config is for. */
export function axolotlTrainer(raw: Raw): Trainer {
  const rl = raw.rl;
  if (isEmpty(rl) || rl === false) return "sft";
  if (rl === "dpo" || rl === "ipo") return "dpo";
  if (rl === "orpo") return "orpo";
  if (rl === "simpo") return "simpo";
  if (rl === "kto") return "kto";
  throw new ImportError(`rl: ${show(rl)}: trellis trains sft, dpo (also ipo, as a DPO loss), orpo, kto and simpo`);
}

/** axolotl names for TrainingArguments fields. */
const RENAMED: Record<string, string> = {
  micro_batch_size: "per_device_train_batch_size",
  eval_batch_size: "per_device_eval_batch_size",
  num_epochs: "num_train_epochs",
  optimizer: "optim",
  lr_scheduler: "lr_scheduler_type",
  sequence_len: "max_length",
  dataset_processes: "dataset_num_proc",
  dpo_label_smoothing: "label_smoothing",
  dpo_use_weighting: "use_weighting",
  dpo_padding_free: "padding_free",
  dpo_loss_type: "loss_type",
  // axolotl's rl: kto passes these to KTOConfig under TRL's names.
  kto_desirable_weight: "desirable_weight",
  kto_undesirable_weight: "undesirable_weight",
};

const unsetOr =
  (reason: string): Handler =>
  (d, _raw, key, v) =>
    isEmpty(v) || v === false ? d.report.unset(key, emptyNote(v)) : d.report.unsupported(key, reason);
const lora =
  (field: string): Handler =>
  (d, raw, key, v) => {
    if (!isLora(raw)) return d.report.unset(key, "no adapter: axolotl does not use it either");
    if (isEmpty(v)) return d.report.unset(key, "null: PEFT's default");
    d.enablePeft()[field] = v;
    d.report.mapped(key, `${STAGE}.peft.${field}`);
  };
const isLora = (raw: Raw) => raw.adapter === "lora" || raw.adapter === "qlora";
const ATTENTION =
  "trellis loads the model with transformers' attention kernels (model.attn_implementation: eager, sdpa or flash_attention_2); this one has no recipe setting";
/** axolotl's `flash_attention: true` and friends: one attention kernel each. */
const attentionFlag =
  (kernel: string): Handler =>
  (d, _raw, key, v) =>
    v === true ? setAttention(d, key, kernel, `axolotl's ${key}: true`) : d.report.unset(key, emptyNote(v));
const TRACKER =
  "trellis records every metric in the run's events.jsonl; to log to a tracker too, set args.report_to (and its environment variables)";

const HANDLERS: Record<string, Handler> = {
  base_model: (d, _raw, key, v) =>
    isString(v)
      ? ((d.model.name = v), d.report.mapped(key, "model.name"))
      : d.report.unsupported(key, `must be a Hub id or a local folder (got ${show(v)})`),
  base_model_config: (d, raw, key, v) =>
    isEmpty(v) || v === raw.base_model
      ? d.report.unset(key, "the model's own config")
      : d.report.unsupported(key, "trellis reads the config from model.name"),
  revision_of_model: (d, _raw, key, v) =>
    isString(v) ? ((d.model.revision = v), d.report.mapped(key, "model.revision")) : d.report.unset(key),
  model_type: (d, _raw, key, v) =>
    isEmpty(v) || v === "AutoModelForCausalLM"
      ? d.report.unset(key, isEmpty(v) ? emptyNote(v) : "what trellis loads")
      : d.report.unsupported(
          key,
          `trellis loads AutoModelForCausalLM, which picks the class from the model's config (${show(v)} cannot be forced)`,
        ),
  tokenizer_type: (d, _raw, key, v) =>
    isEmpty(v) || v === "AutoTokenizer"
      ? d.report.unset(key, isEmpty(v) ? emptyNote(v) : "what trellis loads")
      : d.report.unsupported(
          key,
          `trellis loads AutoTokenizer, which picks the class the model's files name (${show(v)} cannot be forced)`,
        ),
  tokenizer_config: unsetOr("trellis loads the tokenizer from model.name"),
  trust_remote_code: (d, raw, key, v) => mapTrlArg(d, raw, key, "trust_remote_code", v),
  special_tokens: (d, _raw, key, v) => specialTokens(d, key, v),
  tokens: unsetOr("trellis does not add tokens to the tokenizer"),
  load_in_8bit: (d, raw, key, v) => {
    if (v !== true) return d.report.unset(key, emptyNote(v));
    if (raw.load_in_4bit === true) return d.report.unsupported(key, "load_in_4bit is also set and is used");
    if (!isLora(raw)) return d.report.unsupported(key, `${NEEDS_ADAPTER}: set adapter: lora`);
    setQuantization(d, key, { bits: 8 }, "LoRA on bitsandbytes 8-bit weights");
  },
  load_in_4bit: (d, raw, key, v) => {
    if (v !== true) return d.report.unset(key, emptyNote(v));
    if (!isLora(raw)) return d.report.unsupported(key, `${NEEDS_ADAPTER}: set adapter: qlora`);
    // axolotl's 4-bit defaults: nf4 with double quantisation, computing in the training dtype.
    setQuantization(
      d,
      key,
      { bits: 4, quant_type: "nf4", double_quant: true },
      "QLoRA: bitsandbytes 4-bit nf4 with double quantisation (axolotl's defaults), computing in model.dtype",
    );
  },
  bnb_config_kwargs: (d, raw, key, v) => bnbKwargs(d, raw, key, v),
  rl: (d, _raw, key, v) => d.report.mapped(key, `${STAGE}.trainer`, RL_NOTES[String(v)] ?? ""),
  rl_beta: (d, raw, key, v) =>
    d.trainer === "orpo"
      ? d.report.unsupported(key, "axolotl gives ORPO orpo_alpha as its beta; rl_beta is not used")
      : mapTrlArg(d, raw, key, "beta", v, "axolotl's rl_beta is TRL's beta"),
  orpo_alpha: (d, raw, key, v) =>
    d.trainer === "orpo"
      ? mapTrlArg(d, raw, key, "beta", v, "axolotl's orpo_alpha is ORPOConfig's beta (the paper's lambda)")
      : d.report.unsupported(key, "only used with rl: orpo"),
  chat_template: (d, raw, key, v) => chatTemplate(d, raw, key, v),
  chat_template_jinja: (d, raw, key, v) =>
    raw.chat_template === "jinja"
      ? d.report.mapped(key, "model.chat_template")
      : unsetOr("only used with chat_template: jinja")(d, raw, key, v),
  default_system_message: unsetOr("trellis passes messages to the chat template as they are"),
  sample_packing: (d, raw, key, v) =>
    v === true && d.trainer === "sft"
      ? mapTrlArg(d, raw, key, "packing", true, "axolotl's sample_packing is SFTConfig's packing")
      : unsetOr(`the ${d.trainer} trainer does not pack samples`)(d, raw, key, v),
  eval_sample_packing: unsetOr("trellis does not pack eval samples"),
  pad_to_sequence_len: unsetOr("TRL pads each batch to its longest sequence"),
  adapter: (d, raw, key, v) => adapter(d, raw, key, v),
  lora_model_dir: unsetOr(
    "trellis cannot start from an existing adapter: merge it into the model and set model.name to the merged folder",
  ),
  lora_r: lora("r"),
  lora_alpha: lora("lora_alpha"),
  lora_dropout: lora("lora_dropout"),
  lora_target_linear: (d, raw, key, v) => {
    if (!isLora(raw)) return d.report.unset(key, "no adapter: axolotl does not use it either");
    if (v !== true) return d.report.unset(key);
    d.enablePeft().target_modules = "all-linear";
    d.report.mapped(key, `${STAGE}.peft.target_modules`, "all-linear");
  },
  lora_target_modules: (d, raw, key, v) => {
    if (!isLora(raw)) return d.report.unset(key, "no adapter: axolotl does not use it either");
    if (raw.lora_target_linear === true)
      return d.report.mapped(
        key,
        `${STAGE}.peft.target_modules`,
        "lora_target_linear already targets every linear layer, these included",
      );
    if (!Array.isArray(v) || !v.length || !v.every(isString))
      return d.report.unsupported(key, `must be a list of module names (got ${show(v)})`);
    d.enablePeft().target_modules = v;
    d.report.mapped(key, `${STAGE}.peft.target_modules`);
  },
  lora_modules_to_save: lora("modules_to_save"),
  peft_use_rslora: lora("use_rslora"),
  peft_use_dora: lora("use_dora"),
  lora_fan_in_fan_out: unsetOr("the recipe's peft block has no fan_in_fan_out"),
  bf16: (d, raw, key, v) => {
    if (v === "auto")
      return d.report.migrated(
        key,
        undefined,
        "auto: TRL's default already uses bf16 where the GPU has it (and trellis turns it off without a GPU)",
      );
    mapTrlArg(d, raw, key, "bf16", v);
  },
  fp16: (d, raw, key, v) =>
    v === "auto" ? d.report.migrated(key, undefined, "auto: left to TRL's default") : mapTrlArg(d, raw, key, "fp16", v),
  tf32: (d, raw, key, v) =>
    v === "auto" ? d.report.migrated(key, undefined, "auto: left to TRL's default") : mapTrlArg(d, raw, key, "tf32", v),
  gradient_checkpointing: (d, raw, key, v) =>
    typeof v === "boolean"
      ? mapTrlArg(d, raw, key, "gradient_checkpointing", v)
      : d.report.unsupported(key, `TRL takes true or false (got ${show(v)})`),
  evals_per_epoch: (d, raw, key, v) => perEpoch(d, raw, key, v, "eval"),
  saves_per_epoch: (d, raw, key, v) => perEpoch(d, raw, key, v, "save"),
  hub_model_id: (d, raw, key, v) => {
    if (!isString(v)) return d.report.unset(key);
    d.deriveArg(key, "push_to_hub", true);
    mapTrlArg(d, raw, key, "hub_model_id", v, "axolotl pushes when hub_model_id is set: push_to_hub: true is added");
  },
  strict: (d, _raw, key) => d.report.unset(key, "trellis always rejects unknown recipe keys"),
  debug: unsetOr("axolotl's debug output has no trellis equivalent"),
  loss_watchdog_threshold: unsetOr("axolotl's loss watchdog has no trellis equivalent"),
  loss_watchdog_patience: unsetOr("axolotl's loss watchdog has no trellis equivalent"),
  early_stopping_patience: unsetOr("trellis has no early stopping"),
  auto_resume_from_checkpoints: unsetOr("trellis starts each run fresh"),
  save_first_step: unsetOr("trellis has no save-on-first-step setting"),
  flash_attention: attentionFlag("flash_attention_2"),
  sdp_attention: attentionFlag("sdpa"),
  eager_attention: attentionFlag("eager"),
  xformers_attention: unsetOr(ATTENTION),
  s2_attention: unsetOr(ATTENTION),
  flash_attn_cross_entropy: unsetOr(ATTENTION),
  flash_attn_rms_norm: unsetOr(ATTENTION),
  attn_implementation: (d, _raw, key, v) =>
    isEmpty(v) ? d.report.unset(key, "null: transformers' default attention") : setAttention(d, key, v),
  local_rank: unsetOr("trellis runs each stage as one process"),
  wandb_project: unsetOr(TRACKER),
  wandb_entity: unsetOr(TRACKER),
  wandb_watch: unsetOr(TRACKER),
  wandb_name: unsetOr(TRACKER),
  wandb_run_id: unsetOr(TRACKER),
  wandb_log_model: unsetOr(TRACKER),
  mlflow_tracking_uri: unsetOr(TRACKER),
  mlflow_experiment_name: unsetOr(TRACKER),
  use_tensorboard: unsetOr(TRACKER),
};

export function importAxolotl(d: Draft, raw: Raw): void {
  importAxolotlData(d, raw);
  for (const [key, value] of Object.entries(raw)) {
    if (AXOLOTL_DATA_KEYS.has(key)) continue;
    const handler = HANDLERS[key];
    if (handler) handler(d, raw, key, value);
    else if (RENAMED[key]) mapTrlArg(d, raw, key, RENAMED[key], value, `axolotl's ${key} is TRL's ${RENAMED[key]}`);
    else mapTrlArg(d, raw, key, key, value);
  }
  if (raw.rl === "ipo") d.deriveArg("rl", "loss_type", ["ipo"]);
  // axolotl builds CPOConfig with loss_type simpo and leaves the rest at TRL's defaults where the
  // config is silent; trellis's simpo preset has SimPO's own (beta 2.0, cpo_alpha 0): keep axolotl's.
  if (raw.rl === "simpo") for (const [name, value] of Object.entries(AXOLOTL_SIMPO)) d.deriveArg("rl", name, value);
}

/** What axolotl's rl: simpo trains with where the config sets nothing: CPOConfig's defaults. */
const AXOLOTL_SIMPO = { beta: 0.1, simpo_gamma: 0.5, cpo_alpha: 1.0 };

const RL_NOTES: Record<string, string> = {
  ipo: "DPO with loss_type ipo",
  simpo: `SimPO (TRL's CPOTrainer, loss_type simpo); where the config is silent, axolotl's values: ${Object.entries(
    AXOLOTL_SIMPO,
  )
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")} (CPOConfig's defaults: cpo_alpha 1.0 is CPO-SimPO, with an NLL term)`,
};

function adapter(d: Draft, raw: Raw, key: string, v: unknown): void {
  if (isEmpty(v)) return d.report.unset(key, "no adapter: full fine-tuning");
  if (v === "lora") return (d.enablePeft(), d.report.mapped(key, `${STAGE}.peft`, "LoRA"));
  if (v === "qlora" && raw.load_in_4bit === true)
    return (
      d.enablePeft(),
      d.report.mapped(key, `${STAGE}.peft`, "LoRA on the 4-bit model (load_in_4bit: model.quantization)")
    );
  if (v === "qlora")
    return (
      d.enablePeft(),
      d.report.migrated(
        key,
        `${STAGE}.peft`,
        "LoRA without quantisation: axolotl's qlora needs load_in_4bit: true, which this config does not set",
      )
    );
  d.report.unsupported(key, `trellis's adapters are LoRA only (got ${show(v)})`);
}

function chatTemplate(d: Draft, raw: Raw, key: string, v: unknown): void {
  const r = d.report;
  if (isEmpty(v) || v === "tokenizer_default") return r.unset(key, "the tokenizer's own template");
  if (v === "jinja") {
    if (!isString(raw.chat_template_jinja)) return r.unsupported(key, "chat_template: jinja needs chat_template_jinja");
    d.model.chat_template = raw.chat_template_jinja;
    return r.mapped(key, "model.chat_template", "from chat_template_jinja");
  }
  if (isString(v) && NAMED_TEMPLATES[v]) {
    d.model.chat_template = NAMED_TEMPLATES[v]!;
    return r.mapped(key, "model.chat_template", `axolotl's '${v}' template, written out`);
  }
  if (isString(v) && isJinja(v)) {
    d.model.chat_template = v;
    return r.mapped(key, "model.chat_template");
  }
  r.unsupported(
    key,
    `axolotl's built-in template ${show(v)} is not bundled with trellis: the tokenizer's own template is used; paste the Jinja into model.chat_template to force it`,
  );
}

function specialTokens(d: Draft, key: string, v: unknown): void {
  const r = d.report;
  if (isEmpty(v)) return r.unset(key);
  if (!isMapping(v)) return r.unsupported(key, `must be a mapping of token names (got ${show(v)})`);
  for (const [name, token] of Object.entries(v)) {
    const at = `${key}.${name}`;
    if ((name === "pad_token" || name === "eos_token") && isString(token) && fieldInfo(d.trainer, name)) {
      d.setArg(
        at,
        name,
        token,
        "mapped",
        "the token must be in the tokenizer's vocabulary (axolotl adds it when missing)",
      );
    } else {
      r.unsupported(
        at,
        `trellis keeps the tokenizer's special tokens${name === "pad_token" ? " (a missing pad token becomes the eos token)" : ""}; ${configClass(d.trainer)} has no setting for ${name}`,
      );
    }
  }
}

/** axolotl's evals/saves per epoch: steps as a ratio of the total, 1 / (per_epoch * num_epochs). */
function perEpoch(d: Draft, raw: Raw, key: string, v: unknown, what: "eval" | "save"): void {
  const r = d.report;
  if (isEmpty(v)) return r.unset(key);
  const hasEval =
    (typeof raw.val_set_size === "number" && raw.val_set_size > 0) ||
    (Array.isArray(raw.test_datasets) && raw.test_datasets.length > 0);
  if (what === "eval" && !hasEval)
    return r.unset(key, "no eval data (val_set_size 0, no test_datasets): axolotl does not evaluate either");
  const epochs = typeof raw.num_epochs === "number" ? raw.num_epochs : 1;
  if (typeof v !== "number" || v <= 0) return r.unsupported(key, `must be a positive number (got ${show(v)})`);
  if (raw[`${what}_steps`] !== undefined || raw[`${what}_strategy`] !== undefined)
    return r.unsupported(key, `${what}_steps/${what}_strategy is also set and is used`);
  const ratio = 1 / (v * epochs);
  if (ratio >= 1) {
    d.setArg(key, `${what}_strategy`, "epoch", "migrated", `once per epoch`);
    return;
  }
  d.deriveArg(key, `${what}_strategy`, "steps");
  d.setArg(
    key,
    `${what}_steps`,
    Number(ratio.toPrecision(6)),
    "migrated",
    `${what}_strategy steps, ${what}_steps 1/(${v} x ${epochs} epochs) of the total steps, as axolotl computes it`,
  );
}

/** axolotl's bnb_config_kwargs: BitsAndBytesConfig keywords over its 4-bit defaults, one row each. */
function bnbKwargs(d: Draft, raw: Raw, key: string, v: unknown): void {
  const r = d.report;
  if (isEmpty(v)) return r.unset(key);
  if (!isMapping(v)) return r.unsupported(key, `must be a mapping of BitsAndBytesConfig keywords (got ${show(v)})`);
  const fourBit = raw.load_in_4bit === true && isLora(raw);
  const fields: Record<string, "quant_type" | "double_quant" | "quant_storage"> = {
    bnb_4bit_quant_type: "quant_type",
    bnb_4bit_use_double_quant: "double_quant",
    bnb_4bit_quant_storage: "quant_storage",
  };
  for (const [name, value] of Object.entries(v)) {
    const at = `${key}.${name}`;
    const field = fields[name];
    if (field) quantSetting(d, at, field, value, fourBit);
    else if (name === "llm_int8_has_fp16_weight" && value === false) r.unset(at, "false: bitsandbytes' default");
    else
      r.unsupported(
        at,
        `a BitsAndBytesConfig keyword model.quantization has no setting for (it takes quant_type, double_quant, quant_storage, compute_dtype)`,
      );
  }
}
