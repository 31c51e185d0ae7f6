/**
 * LLaMA-Factory configs: `stage: sft|dpo` with `pref_loss` (sigmoid, hinge, ipo: DPO; orpo: ORPO;
 * simpo: SimPO; kto_pair, which TRL no longer has, is refused with its successor named),
 * `pref_beta`, `finetuning_type: lora` with `lora_rank`/`lora_target`, datasets named in
 * dataset_info.json, `template`, `cutoff_len`. TrainingArguments keys pass through as args.
 */
import { shown } from "../../../shown.js";
import type { Trainer } from "../../../recipe/schema.js";
import { mapTrlArg } from "../args.js";
import { MODEL_HANDLERS, type Handler } from "../model-keys.js";
import { STAGE, type Draft, type SourceDraft } from "../draft.js";
import { NEEDS_ADAPTER, quantSetting, setAttention, setQuantization } from "../quantization.js";
import { formatOf } from "../../../recipe/resolve.js";
import { sourceOf } from "../sources.js";
import { SHAREGPT_TAGS } from "../../../data/convert.js";
import { ImportError, emptyNote, isEmpty, isMapping, isString, show, type Raw } from "../types.js";

const DPO_LOSSES = new Set(["sigmoid", "hinge", "ipo"]);
/** LLaMA-Factory's SimPO defaults (FinetuningArguments: pref_beta 0.1, simpo_gamma 0.5, pref_ftx 0). */
const LF_SIMPO = { beta: 0.1, simpo_gamma: 0.5, cpo_alpha: 0.0 };

export function llamaFactoryTrainer(raw: Raw): Trainer {
  const stage = raw.stage ?? "sft";
  if (stage === "sft") return "sft";
  if (stage === "kto") return "kto";
  if (stage !== "dpo")
    throw new ImportError(
      `stage: ${show(stage)}: trellis trains sft, dpo, kto and orpo (LLaMA-Factory's stage dpo with pref_loss orpo)`,
    );
  const loss = raw.pref_loss ?? "sigmoid";
  if (loss === "orpo") return "orpo";
  if (loss === "simpo") return "simpo";
  if (typeof loss === "string" && DPO_LOSSES.has(loss)) return "dpo";
  if (loss === "kto_pair")
    throw new ImportError(
      "pref_loss: kto_pair: TRL's DPOTrainer no longer has the paired KTO loss (its successor is TRL's KTOTrainer, which trains on the pairs unpaired into desirable and undesirable answers); trellis trains sigmoid, hinge and ipo as DPO, orpo and simpo",
    );
  throw new ImportError(
    `pref_loss: ${show(loss)}: trellis's DPO takes ${[...DPO_LOSSES].join(", ")}, orpo is ORPO and simpo is SimPO`,
  );
}

const unsetOr =
  (reason: string): Handler =>
  (d, _raw, key, v) =>
    isEmpty(v) || v === false ? d.report.unset(key, emptyNote(v)) : d.report.unsupported(key, reason);
const isLora = (raw: Raw) => raw.finetuning_type === "lora";
const lora =
  (field: string, check: (v: unknown) => boolean): Handler =>
  (d, raw, key, v) => {
    if (!isLora(raw)) return d.report.unset(key, "finetuning_type is not lora: LLaMA-Factory does not use it either");
    if (!check(v)) return d.report.unsupported(key, `not a valid LoRA ${field} (got ${show(v)})`);
    d.enablePeft()[field] = v;
    d.report.mapped(key, `${STAGE}.peft.${field}`);
  };

const isBnb = (raw: Raw) =>
  isEmpty(raw.quantization_method) || raw.quantization_method === "bnb" || raw.quantization_method === "bitsandbytes";
const fourBit = (raw: Raw) => raw.quantization_bit === 4 && isBnb(raw) && isLora(raw);
/** LLaMA-Factory's flash_attn values and the transformers kernels they pick. */
const FLASH_ATTN: Record<string, string> = { disabled: "eager", sdpa: "sdpa", fa2: "flash_attention_2" };

const RENAMED: Record<string, string> = {
  cutoff_len: "max_length",
  preprocessing_num_workers: "dataset_num_proc",
  pref_beta: "beta",
  // LLaMA-Factory's stage: kto weights, KTOConfig's names.
  kto_chosen_weight: "desirable_weight",
  kto_rejected_weight: "undesirable_weight",
  dpo_label_smoothing: "label_smoothing",
  enable_liger_kernel: "use_liger_kernel",
};

const HANDLERS: Record<string, Handler> = {
  ...MODEL_HANDLERS,
  trust_remote_code: (d, raw, key, v) => mapTrlArg(d, raw, key, "trust_remote_code", v),
  adapter_name_or_path: unsetOr(
    "trellis cannot start from an existing adapter: merge it into the model and set model.name to the merged folder",
  ),
  cache_dir: unsetOr("trellis uses the Hugging Face cache ($HF_HOME)"),
  stage: (d, _raw, key) => d.report.mapped(key, `${STAGE}.trainer`),
  do_train: (d, _raw, key, v) =>
    v === false
      ? d.report.unsupported(key, "trellis stages always train")
      : d.report.unset(key, "true: trellis stages train"),
  finetuning_type: (d, raw, key, v) => {
    if (v === "full" || isEmpty(v)) return d.report.unset(key, "full fine-tuning");
    if (v !== "lora")
      return d.report.unsupported(key, `trellis fine-tunes fully or with LoRA; ${show(v)} becomes full fine-tuning`);
    const peft = d.enablePeft();
    // LLaMA-Factory's defaults, which differ from trellis's: set them so the recipe means the same.
    if (raw.lora_rank === undefined) peft.r = 8;
    if (raw.lora_alpha === undefined) peft.lora_alpha = typeof raw.lora_rank === "number" ? raw.lora_rank * 2 : 16;
    if (raw.lora_dropout === undefined) peft.lora_dropout = 0;
    if (raw.lora_target === undefined) peft.target_modules = "all-linear";
    d.report.mapped(
      key,
      `${STAGE}.peft`,
      "LoRA with LLaMA-Factory's defaults where unset: rank 8, alpha 2 x rank, dropout 0, all linear layers",
    );
  },
  lora_rank: lora("r", (v) => Number.isInteger(v) && (v as number) > 0),
  lora_alpha: lora("lora_alpha", (v) => typeof v === "number" && v > 0),
  lora_dropout: lora("lora_dropout", (v) => typeof v === "number" && v >= 0 && v <= 1),
  use_rslora: lora("use_rslora", (v) => typeof v === "boolean"),
  use_dora: lora("use_dora", (v) => typeof v === "boolean"),
  lora_target: (d, raw, key, v) => {
    if (!isLora(raw)) return d.report.unset(key, "finetuning_type is not lora: LLaMA-Factory does not use it either");
    const modules =
      typeof v === "string"
        ? v
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : [];
    if (!modules.length)
      return d.report.unsupported(key, `must be 'all' or comma-separated module names (got ${show(v)})`);
    d.enablePeft().target_modules = modules.length === 1 && modules[0] === "all" ? "all-linear" : modules;
    d.report.mapped(
      key,
      `${STAGE}.peft.target_modules`,
      modules[0] === "all" ? "all: every linear layer (all-linear)" : "",
    );
  },
  additional_target: (d, raw, key, v) =>
    isString(v) && isLora(raw)
      ? ((d.enablePeft().modules_to_save = v.split(",").map((s) => s.trim())),
        d.report.mapped(key, `${STAGE}.peft.modules_to_save`))
      : unsetOr("only used with finetuning_type lora")(d, raw, key, v),
  pref_loss: (d, _raw, key, v) => {
    if (d.trainer === "orpo")
      return d.report.mapped(
        key,
        `${STAGE}.trainer`,
        "orpo: TRL's ORPOTrainer (the same NLL + beta x odds-ratio loss as LLaMA-Factory's)",
      );
    if (d.trainer === "simpo")
      return d.report.mapped(
        key,
        `${STAGE}.trainer`,
        `simpo: TRL's CPOTrainer with loss_type simpo; LLaMA-Factory's pref_beta and simpo_gamma (defaults ${LF_SIMPO.beta} and ${LF_SIMPO.simpo_gamma}) and pref_ftx as cpo_alpha (default 0)`,
      );
    if (v === "sigmoid") return d.report.unset(key, "sigmoid: DPO's default loss");
    d.setArg(key, "loss_type", [v], "mapped");
  },
  pref_ftx: (d, raw, key, v) => {
    if (isEmpty(v) || v === 0) return d.report.unset(key, "0: no SFT term");
    if (d.trainer === "simpo" && typeof v === "number")
      return d.setArg(
        key,
        "cpo_alpha",
        v,
        "migrated",
        `SimPO plus ${v} x the NLL of the chosen answers: CPO's cpo_alpha`,
      );
    if (d.trainer !== "dpo" || typeof v !== "number")
      return d.report.unsupported(key, `an SFT loss weight for DPO (got ${show(v)} for ${d.trainer})`);
    const loss = raw.pref_loss ?? "sigmoid";
    d.deriveArg(key, "loss_weights", [1.0, v]);
    d.setArg(
      key,
      "loss_type",
      [loss, "sft"],
      "migrated",
      `DPO plus ${v} x the SFT loss: loss_type [${shown(loss)}, sft], loss_weights [1.0, ${v}]`,
    );
  },
  simpo_gamma: (d, raw, key, v) =>
    d.trainer === "simpo"
      ? mapTrlArg(d, raw, key, "simpo_gamma", v)
      : unsetOr("only used with pref_loss: simpo")(d, raw, key, v),
  ref_model: unsetOr("the DPO reference is the starting model (or the policy with its adapter disabled, with LoRA)"),
  ref_model_adapters: unsetOr("the DPO reference is the starting model"),
  ref_model_quantization_bit: unsetOr(
    "DPO's reference is the policy with its adapter disabled: the same weights, quantised as model.quantization says",
  ),
  template: (d, _raw, key, v) =>
    isEmpty(v)
      ? d.report.unset(key)
      : d.report.unsupported(
          key,
          `LLaMA-Factory's template ${show(v)} is Python, not Jinja: the tokenizer's own chat template is used (set model.chat_template to force one)`,
        ),
  max_samples: unsetOr("trellis trains on every row: cut the data (or a Hub split such as train[:1000]) to limit it"),
  overwrite_cache: unsetOr("trellis uses the datasets cache ($HF_HOME)"),
  val_size: (d, raw, key, v) => {
    if (isEmpty(v) || v === 0) return d.report.unset(key);
    if (!isEmpty(raw.eval_dataset)) return d.report.unsupported(key, "eval_dataset is also given and is the eval data");
    if (typeof v !== "number" || v <= 0 || v >= 1)
      return d.report.unsupported(key, `trellis holds out a fraction between 0 and 1 (got ${show(v)})`);
    d.eval = { fraction: v };
    d.report.mapped(key, "data.eval.fraction");
  },
  plot_loss: unsetOr("trellis records every metric in the run's events.jsonl: plot from there"),
  quantization_bit: (d, raw, key, v) => {
    if (isEmpty(v)) return d.report.unset(key, "null: no quantisation");
    if (v !== 4 && v !== 8) return d.report.unsupported(key, `bitsandbytes quantises to 4 or 8 bits (got ${show(v)})`);
    if (!isBnb(raw))
      return d.report.unsupported(
        key,
        `quantization_method ${show(raw.quantization_method)}: trellis quantises through bitsandbytes only`,
      );
    if (!isLora(raw))
      return d.report.unsupported(key, `${NEEDS_ADAPTER}: set finetuning_type: lora (LLaMA-Factory requires it too)`);
    // LLaMA-Factory's defaults: nf4 with double quantisation, computing in the training dtype.
    if (v === 8) return setQuantization(d, key, { bits: 8 }, "LoRA on bitsandbytes 8-bit weights");
    setQuantization(
      d,
      key,
      { bits: 4, quant_type: "nf4", double_quant: true },
      "QLoRA: bitsandbytes 4-bit, nf4 with double quantisation (LLaMA-Factory's defaults), computing in model.dtype",
    );
  },
  quantization_method: (d, raw, key, v) =>
    isBnb(raw)
      ? d.report.unset(key, isEmpty(v) ? emptyNote(v) : "bnb: bitsandbytes, what model.quantization uses")
      : d.report.unsupported(key, `${show(v)}: trellis quantises through bitsandbytes (bnb) only`),
  quantization_type: (d, raw, key, v) => quantSetting(d, key, "quant_type", v, fourBit(raw)),
  double_quantization: (d, raw, key, v) => quantSetting(d, key, "double_quant", v, fourBit(raw)),
  quantization_device_map: unsetOr("quantised weights go to the training device (the GPU of the process, or the CPU)"),
  flash_attn: (d, _raw, key, v) => {
    if (v === "auto" || isEmpty(v)) return d.report.unset(key, "auto: transformers' default attention");
    const kernel = isString(v) ? FLASH_ATTN[v] : undefined;
    if (!isString(v) || !kernel)
      return d.report.unsupported(key, `LLaMA-Factory's flash_attn takes auto, disabled, sdpa or fa2 (got ${show(v)})`);
    setAttention(d, key, kernel, `LLaMA-Factory's ${v}`);
  },
  dataset_dir: (d, _raw, key) => d.report.mapped(key, undefined, "where dataset names are looked up"),
};

export function importLlamaFactory(d: Draft, raw: Raw, datasetInfo?: Raw): void {
  for (const [key, value] of Object.entries(raw)) {
    if (key === "dataset" || key === "eval_dataset") continue;
    const handler = HANDLERS[key];
    if (handler) handler(d, raw, key, value);
    else if (RENAMED[key])
      mapTrlArg(d, raw, key, RENAMED[key], value, `LLaMA-Factory's ${key} is TRL's ${RENAMED[key]}`);
    else mapTrlArg(d, raw, key, key, value);
  }
  // LLaMA-Factory's SimPO where the config is silent (its defaults, not trellis's simpo preset).
  if (d.trainer === "simpo")
    for (const [name, value] of Object.entries(LF_SIMPO)) d.deriveArg("pref_loss", name, value);
  const dir = isString(raw.dataset_dir) ? raw.dataset_dir : "data";
  for (const [key, role] of [
    ["dataset", "train"],
    ["eval_dataset", "eval"],
  ] as const) {
    if (!(key in raw)) continue;
    if (isEmpty(raw[key])) d.report.unset(key);
    else dataset(d, key, raw[key], role, dir, datasetInfo);
  }
}

/** `dataset: a,b`: names in dataset_info.json, resolved to files or Hub datasets. */
function dataset(d: Draft, key: string, value: unknown, role: "train" | "eval", dir: string, info?: Raw): void {
  const r = d.report;
  if (!isString(value)) return r.unsupported(key, `must be dataset names separated by commas (got ${show(value)})`);
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const resolved = names.map((n) => resolveName(n, dir, info));
  const bad = resolved.find((x): x is string => typeof x === "string");
  if (bad) return r.unsupported(key, bad);
  const sources = resolved as Array<{ source: SourceDraft; layout: Layout; note: string }>;
  const allLocal = sources.every(
    (s) => s.source.path !== undefined && formatOf(String(s.source.path)) === formatOf(String(sources[0]!.source.path)),
  );
  if (sources.length > 1 && !allLocal)
    return r.unsupported(
      key,
      "several datasets that are not all local files of one format: trellis reads one source per data role",
    );
  // Plain columns merge as before; a converted layout must be the only one.
  const layouts = new Set(sources.map((s) => JSON.stringify("from" in s.layout ? s.layout : null)));
  const earlier = JSON.stringify(d.convert ?? null);
  if (layouts.size > 1 || (role === "eval" && d.train && earlier !== [...layouts][0]))
    return r.unsupported(
      key,
      "datasets laid out differently (sharegpt, alpaca, plain columns): trellis reads one layout per recipe; convert them to one",
    );
  const source = sources.length > 1 ? { path: sources.map((s) => s.source.path as string) } : sources[0]!.source;
  d[role] = source;
  const layout = sources[0]!.layout;
  if ("from" in layout) d.convert = layout;
  else Object.assign(d.columns, layout.columns);
  const where = source.hub !== undefined ? `data.${role}.hub` : `data.${role}.path`;
  const guessed = !info || sources.some((s) => s.note.startsWith("assumed"));
  const note = sources
    .map((s) => s.note)
    .filter(Boolean)
    .join("; ");
  guessed ? r.migrated(key, where, note) : r.mapped(key, where, note);
}

function resolveName(
  name: string,
  dir: string,
  info?: Raw,
): { source: SourceDraft; layout: Layout; note: string } | string {
  const entry = info?.[name];
  if (!isMapping(entry)) {
    const file = `${dir}/${name}.json`;
    return {
      source: { path: file },
      layout: { columns: {} },
      note: `assumed the file ${file}: LLaMA-Factory resolves '${name}' through ${dir}/dataset_info.json${info ? ", which has no such entry" : ", which was not found"}; point the recipe at the file or Hub dataset, with prompt/chosen/rejected columns`,
    };
  }
  const layout = layoutOf(entry);
  if (typeof layout === "string") return `'${name}' in dataset_info.json: ${layout}`;
  const converted =
    "from" in layout
      ? `; LLaMA-Factory's ${layout.from} layout${layout.from === "sharegpt" ? " ({from, value} turns)" : ""} is converted to {role, content} messages as rows are read (data.convert)`
      : "";
  if (isString(entry.hf_hub_url)) {
    const source = sourceOf(
      entry.hf_hub_url,
      isString(entry.split) ? entry.split : "train",
      isString(entry.subset) ? entry.subset : undefined,
    );
    if (typeof source === "string") return source;
    return { source, layout, note: `'${name}' in dataset_info.json${converted}` };
  }
  if (isString(entry.file_name))
    return {
      source: { path: `${dir}/${entry.file_name}` },
      layout,
      note: `'${name}' in dataset_info.json${converted}`,
    };
  return `'${name}' in dataset_info.json names neither hf_hub_url nor file_name`;
}

/** How a dataset's rows become standard columns: renamed (plain columns), or converted from a layout. */
type Layout = { columns: Record<string, string> } | { from: "sharegpt" | "alpaca"; columns: Raw; tags?: Raw };

const SHAREGPT_COLUMNS = ["messages", "system", "chosen", "rejected"];
const ALPACA_COLUMNS = ["prompt", "query", "response", "history", "system", "chosen", "rejected"];
const TAGS = Object.keys(SHAREGPT_TAGS);

/**
 * A dataset_info.json entry's layout (LLaMA-Factory's data/README.md): sharegpt entries and
 * alpaca entries with pairs (`ranking: true`), a query, history or system column are converted
 * as LLaMA-Factory reads them; other alpaca entries rename their columns.
 */
function layoutOf(entry: Raw): Layout | string {
  const cols = isMapping(entry.columns) ? entry.columns : {};
  const ranking = entry.ranking === true;
  if (isString(cols.kto_tag)) return "a KTO dataset (kto_tag): trellis has no KTO trainer yet";
  for (const unsupported of ["tools", "images", "videos", "audios"])
    if (isString(cols[unsupported])) return `the ${unsupported} column has no trellis counterpart (text-only chat)`;
  const pick = (names: string[], defaults: Raw) => {
    const out: Raw = { ...defaults };
    for (const n of names) if (isString(cols[n])) out[n] = cols[n];
    return out;
  };
  if (entry.formatting === "sharegpt") {
    const tags = isMapping(entry.tags)
      ? Object.fromEntries(
          TAGS.filter((t) => isString(entry.tags && (entry.tags as Raw)[t])).map((t) => [t, (entry.tags as Raw)[t]]),
        )
      : {};
    const columns = pick(SHAREGPT_COLUMNS, {
      messages: "conversations",
      ...(ranking ? { chosen: "chosen", rejected: "rejected" } : {}),
    });
    return { from: "sharegpt", columns, ...(Object.keys(tags).length ? { tags } : {}) };
  }
  if (ranking || isString(cols.query) || isString(cols.history) || isString(cols.system)) {
    const columns = pick(ALPACA_COLUMNS, {
      prompt: "instruction",
      query: "input",
      ...(ranking ? { chosen: "chosen", rejected: "rejected" } : { response: "output" }),
    });
    return { from: "alpaca", columns };
  }
  const columns: Record<string, string> = {};
  for (const c of ["prompt", "chosen", "rejected", "messages", "completion"] as const) {
    const from = c === "completion" ? cols.response : cols[c];
    if (isString(from) && from !== c) columns[c] = from;
  }
  return { columns };
}
