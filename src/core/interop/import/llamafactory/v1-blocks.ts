/**
 * LLaMA-Factory v1's plugin blocks: `{name: <plugin>, ...its settings}` under peft_config,
 * kernel_config, quant_config, init_config (ModelArguments), dist_config, optim_config,
 * lr_scheduler_config (TrainingArguments). Each key inside a block gets its own report row.
 * The settings are those the plugins read (src/llamafactory/v1/plugins/...).
 */
import { STAGE, type Draft } from "../draft.js";
import { NEEDS_ADAPTER, setQuantization } from "../quantization.js";
import { keyPath } from "../report.js";
import { emptyNote, isEmpty, isMapping, isString, show, type Raw } from "../types.js";

export const BLOCKS = [
  "peft_config",
  "kernel_config",
  "quant_config",
  "init_config",
  "dist_config",
  "optim_config",
  "lr_scheduler_config",
] as const;
type Block = (typeof BLOCKS)[number];

type SubHandler = (d: Draft, key: string, value: unknown, block: Raw) => void;

/** One row per key of the block; `name` is the caller's. */
function eachSetting(d: Draft, key: string, block: Raw, handle: SubHandler): void {
  for (const [k, v] of Object.entries(block)) if (k !== "name") handle(d, keyPath(key, k), v, block);
}

/** A setting of a plugin trellis does not use: left out, and said so unless it is empty. */
const partOf =
  (what: string): SubHandler =>
  (d, key, v) =>
    isEmpty(v) || v === false
      ? d.report.unset(key, emptyNote(v))
      : d.report.unsupported(key, `part of ${what}, which trellis does not use`);

/** The whole block is not carried over: its name says why, each setting says it is part of it. */
function refuse(d: Draft, key: string, block: Raw, why: string): void {
  d.report.unsupported(keyPath(key, "name"), why);
  eachSetting(d, key, block, partOf(`${key} ${show(block.name)}`));
}

export function importBlock(d: Draft, key: Block, value: unknown, raw: Raw = {}): void {
  const r = d.report;
  if (isEmpty(value)) return r.unset(key, "null: no plugin");
  // LLaMA-Factory also takes a JSON string; a block written that way is not picked apart here.
  if (!isMapping(value)) return r.unsupported(key, `expected a mapping {name: ..., ...} (got ${show(value)})`);
  // One row for the whole block: there is no `name` key to hang the reason on.
  if (!isString(value.name))
    return r.unsupported(
      key,
      `LLaMA-Factory requires a plugin name in ${key} (got ${show(value.name)}); nothing in it is used`,
    );
  HANDLERS[key](d, key, value, raw);
}

const HANDLERS: Record<Block, (d: Draft, key: string, block: Raw, raw: Raw) => void> = {
  peft_config: (d, key, block) =>
    block.name === "lora"
      ? lora(d, key, block)
      : block.name === "freeze"
        ? refuse(
            d,
            key,
            block,
            "freeze tuning (training only the last layers) is not a trellis method: the recipe fine-tunes fully or with LoRA, so this becomes full fine-tuning",
          )
        : refuse(d, key, block, `${show(block.name)} is not a LLaMA-Factory PEFT method trellis knows (lora)`),
  kernel_config: kernels,
  quant_config: quantization,
  init_config: (d, key, block) => {
    if (block.name === "init_on_default" || block.name === "init_on_rank0" || block.name === "init_on_meta") {
      d.report.unset(
        keyPath(key, "name"),
        `${block.name}: where LLaMA-Factory first creates the weights across processes; trellis loads the model in the one process that trains it, with the same weights`,
      );
      return eachSetting(d, key, block, partOf(`${key} ${block.name}`));
    }
    refuse(d, key, block, `${show(block.name)} is not a LLaMA-Factory init plugin trellis knows`);
  },
  dist_config: (d, key, block) => {
    const name = String(block.name);
    const what =
      name === "deepspeed"
        ? "DeepSpeed"
        : name === "fsdp2"
          ? "FSDP2 sharding"
          : name === "fsdpturbo"
            ? "FSDP with expert parallelism (fsdpturbo)"
            : `distributed plugin ${show(name)}`;
    refuse(
      d,
      key,
      block,
      `${what} is LLaMA-Factory's own plugin: in the recipe, set launch (processes_per_node, nodes) with launch.config_file (a DeepSpeed .json) or engine: accelerate and launch.profile (zero1-3, fsdp1-2)`,
    );
  },
  optim_config: (d, key, block) =>
    refuse(
      d,
      key,
      block,
      `LLaMA-Factory's ${show(block.name)} optimizer plugin has no TRL counterpart trellis can select: set args.optim to one of transformers' optimizers (adamw_torch by default)`,
    ),
  lr_scheduler_config: (d, key, block) =>
    refuse(
      d,
      key,
      block,
      `LLaMA-Factory's ${show(block.name)} scheduler plugin is not carried over: set args.lr_scheduler_type (and warmup_steps) instead`,
    ),
};

const LORA_EXPORT = new Set([
  "export_dir",
  "export_size",
  "export_hub_model_id",
  "infer_dtype",
  "export_legacy_format",
]);

/** LoraParams in src/llamafactory/v1/plugins/model_plugins/peft.py, with its defaults. */
function lora(d: Draft, key: string, block: Raw): void {
  const r = d.report;
  const peft = d.enablePeft();
  // LLaMA-Factory's LoraParams defaults, which differ from trellis's: set so the recipe means the same.
  peft.r = 8;
  peft.lora_alpha = 16;
  peft.lora_dropout = 0.05;
  peft.target_modules = "all-linear";
  r.mapped(
    keyPath(key, "name"),
    `${STAGE}.peft`,
    "LoRA, with LLaMA-Factory's defaults where unset: r 8, alpha 16, dropout 0.05, every linear layer",
  );
  const set =
    (field: string, ok: (v: unknown) => boolean, expected: string): SubHandler =>
    (_d, at, v) => {
      if (isEmpty(v)) return r.unset(at, "null: LLaMA-Factory's default");
      if (!ok(v)) return r.unsupported(at, `must be ${expected} (got ${show(v)})`);
      peft[field] = v;
      r.mapped(at, `${STAGE}.peft.${field}`);
    };
  const SUB: Record<string, SubHandler> = {
    r: set("r", (v) => Number.isInteger(v) && (v as number) > 0, "a positive integer"),
    lora_alpha: set("lora_alpha", (v) => typeof v === "number" && v > 0, "a positive number"),
    lora_dropout: set("lora_dropout", (v) => typeof v === "number" && v >= 0 && v <= 1, "a number between 0 and 1"),
    use_rslora: set("use_rslora", (v) => typeof v === "boolean", "true or false"),
    use_dora: set("use_dora", (v) => typeof v === "boolean", "true or false"),
    modules_to_save: set(
      "modules_to_save",
      (v) => Array.isArray(v) && v.length > 0 && v.every(isString),
      "a list of module names",
    ),
    target_modules: (_d, at, v) => {
      // "all" is every linear layer but the output head (PEFT's all-linear); one other name is
      // wrapped in a list by LLaMA-Factory, so it is a module name, not a pattern.
      if (v === "all" || isEmpty(v))
        return r.mapped(at, `${STAGE}.peft.target_modules`, "all: every linear layer (all-linear)");
      const list = isString(v) ? [v] : Array.isArray(v) && v.length && v.every(isString) ? v : undefined;
      if (!list) return r.unsupported(at, `must be 'all', a module name or a list of them (got ${show(v)})`);
      peft.target_modules = list;
      r.mapped(at, `${STAGE}.peft.target_modules`);
    },
    adapter_name_or_path: (_d, at, v) =>
      isEmpty(v)
        ? r.unset(at, emptyNote(v))
        : r.unsupported(
            at,
            "trellis cannot start from an existing adapter (LLaMA-Factory would continue training it and ignore the LoRA settings): merge it into the model and set model.name to the merged folder",
          ),
  };
  eachSetting(d, key, block, (dd, at, v, b) => {
    const sub = at.slice(key.length + 1);
    if (SUB[sub]) return SUB[sub](dd, at, v, b);
    if (LORA_EXPORT.has(sub)) return r.unset(at, "used by `llamafactory-cli merge` (export), not by training");
    r.unsupported(at, "not a LoRA setting of LLaMA-Factory v1 (LoraParams)");
  });
}

/**
 * kernel_config.name is a comma-separated list. `auto` applies fused kernels on Ascend NPUs only
 * (_AUTO_KERNELS in kernels/interface.py): on CUDA and CPU it changes nothing. Liger's kernels are
 * what TRL's use_liger_kernel applies.
 */
function kernels(d: Draft, key: string, block: Raw): void {
  const r = d.report;
  const at = keyPath(key, "name");
  const names = String(block.name)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const other = names.filter((n) => n !== "auto" && n !== "liger_kernel");
  if (!names.length) return refuse(d, key, block, "LLaMA-Factory requires at least one kernel name");
  if (other.length) {
    r.unsupported(
      at,
      `kernel${other.length > 1 ? "s" : ""} ${other.join(", ")}: trellis loads the model with transformers' own layers; only liger_kernel (TRL's use_liger_kernel) has a recipe setting`,
    );
    return eachSetting(d, key, block, partOf(`kernel_config ${show(block.name)}`));
  }
  const liger = names.includes("liger_kernel");
  if (liger)
    d.setArg(
      at,
      "use_liger_kernel",
      true,
      "migrated",
      "LLaMA-Factory's Liger kernels are TRL's use_liger_kernel (needs the liger-kernel package and a CUDA GPU, as in LLaMA-Factory)",
    );
  else
    r.mapped(
      at,
      undefined,
      "auto: LLaMA-Factory applies fused kernels automatically only on Ascend NPUs; on CUDA and CPU nothing changes, as in trellis",
    );
  eachSetting(d, key, block, (_d, sub, v) => {
    // liger's use_kernels: "auto" is every op the model supports, as use_liger_kernel applies them.
    if (liger && sub === keyPath(key, "use_kernels") && (v === "auto" || isEmpty(v)))
      return r.unset(sub, "auto: every Liger op the model supports, as TRL applies them");
    partOf(`kernel_config ${show(block.name)}`)(d, sub, v, block);
  });
}

/**
 * quant_config `{name: bnb | auto, quantization_bit: 4 | 8}`: bitsandbytes, which is also what
 * `auto` picks for a model without its own quantisation. Only with a LoRA adapter.
 */
function quantization(d: Draft, key: string, block: Raw, raw: Raw): void {
  const name = block.name;
  const bits = block.quantization_bit;
  if (name !== "bnb" && name !== "auto")
    return refuse(
      d,
      key,
      block,
      `quantisation method ${show(name)}: trellis quantises through bitsandbytes (bnb) only`,
    );
  if (bits !== 4 && bits !== 8)
    return refuse(d, key, block, `bitsandbytes quantises to 4 or 8 bits (got quantization_bit ${show(bits)})`);
  if (!isMapping(raw.peft_config) || raw.peft_config.name !== "lora")
    return refuse(d, key, block, `${NEEDS_ADAPTER}: add peft_config {name: lora}`);
  const at = keyPath(key, "name");
  if (bits === 4)
    setQuantization(
      d,
      at,
      { bits: 4, quant_type: "nf4", double_quant: true },
      `QLoRA: ${name === "auto" ? "auto picks bitsandbytes for an unquantised model; " : ""}4-bit nf4 with double quantisation (LLaMA-Factory's bnb defaults), computing in model.dtype`,
    );
  else setQuantization(d, at, { bits: 8 }, "LoRA on bitsandbytes 8-bit weights");
  eachSetting(d, key, block, (_d, sub, v) =>
    sub === keyPath(key, "quantization_bit")
      ? d.report.mapped(sub, "model.quantization.bits")
      : partOf(`${key} ${show(name)}`)(d, sub, v, block),
  );
}
