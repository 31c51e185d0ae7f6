/**
 * Dataset references from foreign configs as recipe sources: Hub datasets become {hub, split},
 * local files keep their paths. A mixture collapses into one source where trellis can express
 * it (several local files; several splits of one Hub dataset, joined with `+`).
 */
import { formatOf } from "../../recipe/resolve.js";
import type { SourceDraft } from "./draft.js";

/** The generic `datasets` builders: `load_dataset("json", data_files=...)`. */
export const BUILDERS = new Set(["json", "csv", "parquet"]);

/** A path on disk rather than a Hub id (`org/name`). */
export function looksLocal(ref: string): boolean {
  return /^(\.{1,2}[\\/]|[\\/]|~[\\/]|[A-Za-z]:[\\/])/.test(ref) || formatOf(ref) !== undefined;
}

/** `ref` as a source, or the reason it cannot be one. */
export function sourceOf(ref: string, split?: string, config?: string): SourceDraft | string {
  if (!looksLocal(ref)) return { hub: ref, split: split ?? "train", ...(config ? { config } : {}) };
  if (!formatOf(ref))
    return `'${ref}' looks like a local folder or a file of unknown format: trellis reads .jsonl, .json, .csv and .parquet files; point the recipe at them`;
  return { path: ref };
}

/** Local files read with a `datasets` builder; the format is kept only where the extension does not tell it. */
export function localSource(paths: string | string[], format: "json" | "csv" | "parquet"): SourceDraft {
  const told = (Array.isArray(paths) ? paths : [paths]).every((p) => formatOf(p) === format);
  return told ? { path: paths } : { path: paths, format };
}

/** A split with a mixture weight: `train[:50%]` keeps the first half (datasets' slicing syntax). */
export function weightedSplit(split: string, weight: unknown): { split: string; note: string } | string {
  if (weight === undefined || weight === null || weight === 1) return { split, note: "" };
  if (typeof weight !== "number" || weight <= 0 || weight > 1)
    return `weight ${JSON.stringify(weight)}: trellis takes a share between 0 and 1 of a split (no oversampling)`;
  const pct = Math.round(weight * 100);
  const rounded = pct !== weight * 100 ? ` (rounded to ${pct}%)` : "";
  return { split: `${split}[:${pct}%]`, note: `the first ${pct}% of the split${rounded}` };
}

export interface MixtureEntry {
  /** The report key of the entry (`dataset_mixture.datasets[1]`). */
  key: string;
  source: SourceDraft | string;
}

/**
 * Folds entries into one source. Returns the source and, for each entry, undefined when it was
 * folded in or the reason it was not.
 */
export function combine(entries: MixtureEntry[]): { source?: SourceDraft; rejected: Array<string | undefined> } {
  let source: SourceDraft | undefined;
  const rejected = entries.map((e): string | undefined => {
    if (typeof e.source === "string") return e.source;
    const next = e.source;
    if (!source) {
      source = { ...next };
      return undefined;
    }
    if (source.path !== undefined && next.path !== undefined) {
      const a = source.format ?? formatOf(first(source.path));
      const b = next.format ?? formatOf(first(next.path));
      if (a !== b) return `a ${b} file next to ${a} files: trellis reads one format per source`;
      source.path = [...toList(source.path), ...toList(next.path)];
      return undefined;
    }
    if (
      source.hub !== undefined &&
      next.hub === source.hub &&
      next.config === source.config &&
      next.revision === source.revision
    ) {
      source.split = `${source.split ?? "train"}+${next.split ?? "train"}`;
      return undefined;
    }
    return `trellis reads one source per data role: ${describe(source)} is used; combine the datasets into one (or into local files) to train on both`;
  });
  return { source, rejected };
}

const toList = (p: string | string[]) => (Array.isArray(p) ? p : [p]);
const first = (p: string | string[]) => toList(p)[0] ?? "";

export function describe(s: SourceDraft): string {
  if (s.hub !== undefined) return `Hub dataset ${s.hub}${s.config ? ` (${s.config})` : ""} split ${s.split ?? "train"}`;
  if (s.path !== undefined) return toList(s.path).join(", ");
  return `a ${s.fraction} held-out fraction`;
}

/** Where a source's fields land, for report rows. */
export const to = (role: "train" | "eval", s: SourceDraft | undefined, field: "ref" | "split" | "config") => {
  if (field === "ref") return `data.${role}.${s?.hub !== undefined ? "hub" : "path"}`;
  return `data.${role}.${field}`;
};
