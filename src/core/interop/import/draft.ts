/** The recipe under construction: one stage, built key by key while the report is written. */
import { SAFE_ID, type Trainer } from "../../recipe/schema.js";
import type { Report } from "./report.js";

export interface SourceDraft {
  path?: string | string[];
  format?: "json" | "csv" | "parquet";
  hub?: string;
  split?: string;
  config?: string;
  revision?: string;
  fraction?: number;
  seed?: number;
}

export const STAGE = "stages[0]";

export class Draft {
  seed?: number;
  outputDir?: string;
  readonly model: Record<string, unknown> = {};
  train?: SourceDraft;
  eval?: SourceDraft;
  readonly columns: Record<string, string> = {};
  /** Another tool's row layout (LLaMA-Factory's sharegpt, alpaca), converted as rows are read. */
  convert?: Record<string, unknown>;
  readonly args: Record<string, unknown> = {};
  peft?: Record<string, unknown>;
  /** Optional package sets the recipe needs (python/extras/), e.g. bitsandbytes for quantised loading. */
  readonly extras = new Set<string>();
  /** The recipe's launch block, when the source asks for DeepSpeed or FSDP (several processes). */
  launch?: Record<string, unknown>;
  /** Which source key set each arg, so a second one is reported instead of silently winning. */
  private readonly argFrom = new Map<string, string>();

  constructor(
    readonly name: string,
    readonly trainer: Trainer,
    readonly report: Report,
  ) {}

  /** Sets `args[name]` for source `key`; false (and a report row) when another key already did. */
  setArg(key: string, name: string, value: unknown, status: "mapped" | "migrated" = "mapped", note = ""): boolean {
    const earlier = this.argFrom.get(name);
    if (earlier !== undefined) {
      this.report.unsupported(
        key,
        `${STAGE}.args.${name} already comes from '${earlier}' (${JSON.stringify(this.args[name])}); this value is not used`,
      );
      return false;
    }
    this.argFrom.set(name, key);
    this.args[name] = value;
    this.report.add(key, status, `${STAGE}.args.${name}`, note);
    return true;
  }

  /** Sets an arg derived from another key's row (no row of its own). */
  deriveArg(fromKey: string, name: string, value: unknown): void {
    if (this.argFrom.has(name)) return;
    this.argFrom.set(name, fromKey);
    this.args[name] = value;
  }

  addExtra(name: string): void {
    this.extras.add(name);
  }

  enablePeft(): Record<string, unknown> {
    this.peft ??= {};
    return this.peft;
  }

  toRecipe(): Record<string, unknown> {
    const data: Record<string, unknown> = {};
    if (this.train) data.train = this.train;
    if (this.eval) data.eval = this.eval;
    if (Object.keys(this.columns).length) data.columns = this.columns;
    if (this.convert) data.convert = this.convert;
    const stage: Record<string, unknown> = { id: this.trainer, trainer: this.trainer, args: this.args };
    if (this.peft) stage.peft = this.peft;
    return {
      name: this.name,
      ...(this.seed !== undefined ? { seed: this.seed } : {}),
      ...(this.outputDir !== undefined ? { output_dir: this.outputDir } : {}),
      ...(this.extras.size ? { extras: [...this.extras].sort() } : {}),
      model: this.model,
      data,
      stages: [stage],
      ...(this.launch ? { launch: this.launch } : {}),
    };
  }
}

const MAX_NAME = 64;

/** A recipe name from a file name: `examples/qwen2/dpo.yaml` -> `dpo`. */
export function recipeName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? "";
  const stem = base.replace(/\.(ya?ml|json)$/i, "");
  let name = stem
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, MAX_NAME);
  name = name.replace(/[^A-Za-z0-9]+$/, "");
  return SAFE_ID.test(name) ? name : "imported";
}
