/**
 * One TRL config field from a foreign config into the stage's args, for TRL 1.13: renamed when
 * TRL or transformers renamed it, dropped with the reason when it was removed, reported when no
 * config class of the stage's trainer has it. Every arg that lands passes trellis's own checks.
 */
import { REMOVED_FIELDS, removedField, type RemovedField } from "../../trl/compat.js";
import { accepts, configClass, describeKinds, fieldInfo, fieldNames, FIELDS_TRL_VERSION } from "../../trl/fields.js";
import { parseVersion } from "../../trl/version.js";
import { TRAINERS, type Trainer } from "../../recipe/schema.js";
import { didYouMean } from "../../recipe/suggest.js";
import { STAGE, type Draft } from "./draft.js";
import { emptyNote, isEmpty, show, type Raw } from "./types.js";

const TARGET_TRL = parseVersion(FIELDS_TRL_VERSION)!;

/** TrainingArguments fields that transformers 5 (under TRL 1.13) no longer has. */
const TRANSFORMERS_RENAMED: Record<string, { to: string; note: string }> = {
  evaluation_strategy: { to: "eval_strategy", note: "renamed eval_strategy in transformers 4.46" },
  no_cuda: { to: "use_cpu", note: "renamed use_cpu in transformers 4.34" },
  per_gpu_train_batch_size: {
    to: "per_device_train_batch_size",
    note: "renamed per_device_train_batch_size in transformers",
  },
  per_gpu_eval_batch_size: {
    to: "per_device_eval_batch_size",
    note: "renamed per_device_eval_batch_size in transformers",
  },
  push_to_hub_token: { to: "hub_token", note: "renamed hub_token in transformers" },
};
const TRANSFORMERS_REMOVED: Record<string, string> = {
  overwrite_output_dir: "transformers 5 removed it: the Trainer writes into an existing output folder",
  logging_dir: "transformers 5 removed it; trellis records every metric in the run's events.jsonl",
  save_safetensors: "transformers 5 removed it: weights are always saved as safetensors",
  include_tokens_per_second: "transformers 5 removed it",
  use_mps_device: "transformers 5 removed it: the device is picked automatically",
};

/** Launcher settings the recipe has no field for. */
const LAUNCHER_FIELDS: Record<string, string> = {
  accelerator_config:
    "trellis starts accelerate with TRL's profiles or your config file (launch.profile, launch.config_file); the recipe has no accelerator_config",
  parallelism_config:
    "the recipe has no parallelism setting (tensor/context parallelism); launch gives data parallelism, DeepSpeed and FSDP",
};
/** Transformers' FSDP fields: kept as TRL args, trained under a torchrun launch. */
const FSDP_FIELDS = new Set(["fsdp", "fsdp_config"]);

/** Which trainers' configs know a field (today, or until it was removed): for trainer inference. */
export function trainersWithField(name: string): Trainer[] {
  const target = TRANSFORMERS_RENAMED[name]?.to ?? name;
  return TRAINERS.filter(
    (t) => fieldInfo(t, target) !== undefined || REMOVED_FIELDS.some((r) => r.trainer === t && r.field === name),
  );
}

export function isTrlField(trainer: Trainer, name: string): boolean {
  return (
    fieldInfo(trainer, name) !== undefined ||
    name in TRANSFORMERS_RENAMED ||
    name in TRANSFORMERS_REMOVED ||
    removedField(trainer, name, TARGET_TRL) !== undefined
  );
}

/** Numbers written so that PyYAML reads them as strings (`1e-5`): TRL would fail on them. */
const NUMBER_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Maps `key: value` (source key) onto TRL field `name` of the draft's trainer.
 * `raw` is the whole source, for fields that depend on others (max_prompt_length and max_length).
 */
export function mapTrlArg(d: Draft, raw: Raw, key: string, name: string, value: unknown, renamedNote?: string): void {
  const r = d.report;
  const cls = configClass(d.trainer);
  const status = renamedNote ? "migrated" : "mapped";
  if (name === "output_dir") {
    if (typeof value !== "string" || !value) return r.unset(key, "empty: outputs go under the run directory");
    d.outputDir = value;
    return r.migrated(
      key,
      "output_dir",
      `trellis saves the stage in <output_dir>/${d.trainer} (one folder per stage id)`,
    );
  }
  if (name === "seed") {
    if (!Number.isInteger(value) || (value as number) < 0)
      return r.unsupported(key, `must be a non-negative integer (got ${show(value)})`);
    d.seed = value as number;
    return r.add(
      key,
      status,
      "seed",
      `${renamedNote ?? ""}${renamedNote ? "; " : ""}also seeds data order and LoRA initialisation`,
    );
  }
  if (name === "trust_remote_code") {
    if (typeof value !== "boolean") return r.unsupported(key, `must be true or false (got ${show(value)})`);
    d.model.trust_remote_code = value;
    return r.add(key, status, "model.trust_remote_code", renamedNote ?? "");
  }
  if (name === "deepspeed") {
    if (isEmpty(value) || value === false) return r.unset(key, emptyNote(value));
    if (typeof value !== "string" || !/\.json$/i.test(value))
      return r.unsupported(
        key,
        `launch.config_file takes a DeepSpeed config file (.json); got ${show(value)}: write it to a .json file`,
      );
    d.launch = { ...d.launch, config_file: value };
    return r.add(
      key,
      "migrated",
      "launch.config_file",
      "the Trainer gets it as args.deepspeed; every visible GPU runs a process (launch.processes_per_node)",
    );
  }
  if (FSDP_FIELDS.has(name) && !isEmpty(value) && value !== false) {
    d.launch ??= {};
    if (
      d.setArg(
        key,
        name,
        value,
        status,
        "FSDP needs several processes: the recipe gets a launch block (torchrun, every visible GPU)",
      )
    )
      return;
    return;
  }
  if (LAUNCHER_FIELDS[name] !== undefined) {
    return isEmpty(value) || value === false
      ? r.unset(key, emptyNote(value))
      : r.unsupported(key, LAUNCHER_FIELDS[name]);
  }
  if (name === "resume_from_checkpoint") {
    return isEmpty(value) || value === false
      ? r.unset(key, emptyNote(value))
      : r.unsupported(
          key,
          "the Trainer ignores this field unless a script passes it to train(); trellis starts each run fresh",
        );
  }
  if (name === "model_init_kwargs") {
    return isEmpty(value)
      ? r.unset(key, emptyNote(value))
      : r.unsupported(
          key,
          "trellis loads the model itself from the recipe's model block (name, revision, dtype, trust_remote_code)",
        );
  }
  const renamed = TRANSFORMERS_RENAMED[name];
  if (renamed) {
    if (raw[renamed.to] !== undefined)
      return r.migrated(key, undefined, `${renamed.note}; '${renamed.to}' is also set and is used`);
    return mapTrlArg(d, raw, key, renamed.to, value, renamed.note);
  }
  if (TRANSFORMERS_REMOVED[name] !== undefined) return r.migrated(key, undefined, TRANSFORMERS_REMOVED[name]);
  if (name === "warmup_ratio") return warmupRatio(d, raw, key, value);
  if (name === "group_by_length") {
    if (value !== true) return r.migrated(key, undefined, "transformers 5 removed it; false is the default sampling");
    return void d.setArg(
      key,
      "train_sampling_strategy",
      "group_by_length",
      "migrated",
      "transformers 5 replaced group_by_length with train_sampling_strategy",
    );
  }
  const removed = removedField(d.trainer, name, TARGET_TRL);
  if (removed) return removedArg(d, raw, key, removed, value);

  const info = fieldInfo(d.trainer, name);
  if (!info) {
    const others = TRAINERS.filter((t) => t !== d.trainer && fieldInfo(t, name) !== undefined).map(configClass);
    if (others.length)
      return r.unsupported(key, `a ${others.join("/")} field; ${cls} (trainer ${d.trainer}) has no '${name}'`);
    return r.unsupported(
      key,
      `not a ${cls} field in TRL ${FIELDS_TRL_VERSION}${didYouMean(name, fieldNames(d.trainer))}`,
    );
  }
  if (value === null && !info.kinds.includes("null")) return r.unset(key, `null: ${cls}'s default`);
  if (
    typeof value === "string" &&
    NUMBER_TEXT.test(value.trim()) &&
    !accepts(info, value) &&
    (info.kinds.includes("number") || info.kinds.includes("integer"))
  ) {
    const n = Number(value);
    if (accepts(info, n))
      return void d.setArg(
        key,
        name,
        n,
        "migrated",
        `the number was written as text ('${value}', which PyYAML reads as a string); written as a number`,
      );
  }
  if (!accepts(info, value))
    return r.unsupported(key, `${cls}.${name} must be ${describeKinds(info.kinds)} (got ${show(value)})`);
  d.setArg(key, name, value, status, renamedNote ?? "");
}

function warmupRatio(d: Draft, raw: Raw, key: string, value: unknown): void {
  const r = d.report;
  if (typeof value !== "number" || value < 0 || value >= 1)
    return r.unsupported(
      key,
      `transformers 5 removed warmup_ratio; warmup_steps takes a ratio in [0, 1) (got ${show(value)})`,
    );
  const steps = raw.warmup_steps;
  if (typeof steps === "number" && steps > 0)
    return r.migrated(
      key,
      undefined,
      `transformers 5 removed warmup_ratio; warmup_steps (${steps}) is set and took precedence anyway`,
    );
  if (value === 0)
    return r.migrated(key, undefined, "transformers 5 removed warmup_ratio; 0 is the default (no warmup)");
  d.setArg(
    key,
    "warmup_steps",
    value,
    "migrated",
    "transformers 5 removed warmup_ratio: warmup_steps below 1 is a ratio of the total steps",
  );
}

/** A field TRL 1.13 removed from this trainer's config: what replaces it, per compat.ts. */
function removedArg(d: Draft, raw: Raw, key: string, removed: RemovedField, value: unknown): void {
  const r = d.report;
  const name = removed.field;
  const why = `${configClass(d.trainer)} has no '${name}' since TRL ${removed.removedIn}: ${removed.instead}`;
  if (isEmpty(value)) return r.migrated(key, undefined, why);
  if (name === "max_seq_length") {
    if (raw.max_length !== undefined) return r.migrated(key, undefined, `${why} (max_length is also set and is used)`);
    return void d.setArg(key, "max_length", value, "migrated", why);
  }
  if (d.trainer === "dpo" && (name === "max_prompt_length" || name === "max_completion_length")) {
    const prompt = raw.max_prompt_length;
    const completion = raw.max_completion_length;
    if (raw.max_length !== undefined)
      return r.migrated(key, undefined, `${why}; max_length (${show(raw.max_length)}) is kept`);
    if (typeof prompt === "number" && typeof completion === "number") {
      if (name === "max_prompt_length")
        return void d.setArg(
          key,
          "max_length",
          prompt + completion,
          "migrated",
          `${why}; max_length = max_prompt_length + max_completion_length`,
        );
      return r.migrated(key, `${STAGE}.args.max_length`, `${why}; added to max_prompt_length into max_length`);
    }
    return r.migrated(key, undefined, `${why} (max_length stays at its default, 1024)`);
  }
  if (name === "rpo_alpha") {
    const loss = raw.loss_type;
    const plain =
      loss === undefined || loss === "sigmoid" || (Array.isArray(loss) && loss.length === 1 && loss[0] === "sigmoid");
    if (typeof value !== "number" || !plain || raw.loss_weights !== undefined)
      return r.unsupported(key, `${why}; not done automatically with loss_type ${show(loss)}`);
    d.deriveArg(key, "loss_weights", [1.0, value]);
    return void d.setArg(
      key,
      "loss_type",
      ["sigmoid", "sft"],
      "migrated",
      `${why}: loss_type [sigmoid, sft], loss_weights [1.0, ${value}]`,
    );
  }
  if (name === "reference_free" && value === true) return r.unsupported(key, why);
  r.migrated(key, undefined, why);
}
