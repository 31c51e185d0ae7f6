/** What an import produces: a recipe as plain data, and one report row per source key. */
import type { PackageUniverse } from "../../env/extras.js";
import type { Trainer } from "../../recipe/schema.js";
import { TrellisError } from "../../errors.js";

export const IMPORT_FORMATS = ["trl", "handbook", "axolotl", "llamafactory"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export type DetectedFormat = "trellis" | ImportFormat;

export type ReportStatus = "mapped" | "migrated" | "unsupported";

/**
 * One source key and what became of it. `key` is the key's path in the source file
 * (`datasets[0].path`); `to` the recipe path it landed on, when it landed anywhere.
 */
export interface ReportRow {
  key: string;
  status: ReportStatus;
  to?: string;
  note: string;
}

export interface ImportOptions {
  /** The source file's name: names the recipe and hints at the trainer. */
  file: string;
  /** The source text: its comments hint at the trainer (`# DPOTrainer arguments`, `trl sft --config`). */
  text?: string;
  /** Forces the trainer instead of inferring it. */
  trainer?: Trainer;
  /** LLaMA-Factory's dataset_info.json, parsed, to resolve `dataset` names. */
  datasetInfo?: Record<string, unknown>;
  /**
   * LLaMA-Factory v1's dataset files (`train_dataset: data/v1_dpo_demo.yaml`), parsed, by the
   * path as the config writes it; a file that could not be read is absent.
   */
  datasetFiles?: Record<string, Record<string, unknown>>;
  /**
   * What the managed environment can hold (base lock and extras): trackers and optimizers then
   * bring their extras into the recipe, and flash attention that cannot be installed becomes sdpa.
   */
  packages?: PackageUniverse;
}

export interface ImportResult {
  /** A plain object meant to validate against the Recipe schema. */
  recipe: Record<string, unknown>;
  report: ReportRow[];
  trainer: Trainer;
  /** Why this trainer: forced, the file's keys, its comments, its name. */
  trainerReason: string;
  /** Findings about the whole recipe rather than one key (eval without eval data...). */
  notes: string[];
}

/** A source that cannot become a recipe at all (a KTO config, not a mapping...): exit code 2. */
export class ImportError extends TrellisError {
  override readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "ImportError";
  }
}

export type Raw = Record<string, unknown>;

export const isMapping = (v: unknown): v is Raw => v !== null && typeof v === "object" && !Array.isArray(v);
export const isString = (v: unknown): v is string => typeof v === "string" && v.length > 0;
/** YAML's empty value (`key:`) and an explicit null both mean "not set". */
export const isEmpty = (v: unknown) => v === null || v === undefined || v === "";
export const show = (v: unknown) => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/** The note of a key left at its default: `false`, empty. */
export const emptyNote = (v: unknown) =>
  v === false
    ? "false: the default, nothing to carry over"
    : v === 0
      ? "0: the default, nothing to carry over"
      : "empty: nothing to carry over";
