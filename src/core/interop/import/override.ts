/**
 * `--override FILE`: a small YAML merged over an imported recipe. Mappings merge key by key; a
 * null deletes the key (as in JSON Merge Patch, RFC 7386); anything else replaces. `stages` merges
 * item by item: by `id` when the override's item has one that matches, by position otherwise. A
 * data source (`data.train`, `data.eval`, a stage's too) is replaced as a whole: `{fraction: 0.1}`
 * over an imported `{hub, split}` means held-out rows, not a Hub split with a fraction.
 */
import path from "pathe";
import { isMapping, type Raw } from "./types.js";

export function mergeOverride(base: Raw, override: Raw): Raw {
  return mergeMapping(base, override, "root");
}

/** Where a mapping sits: the recipe, a stage, a data section, or anywhere else. */
type Level = "root" | "stage" | "data" | "other";
const SOURCES = new Set(["train", "eval"]);

function mergeMapping(base: Raw, over: Raw, level: Level): Raw {
  const out: Raw = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) delete out[key];
    else if (level === "root" && key === "stages" && Array.isArray(value) && Array.isArray(out.stages))
      out.stages = mergeStages(out.stages, value);
    else if (level === "data" && SOURCES.has(key)) out[key] = stripNulls(value);
    else if (isMapping(value) && isMapping(out[key]))
      out[key] = mergeMapping(out[key], value, key === "data" && level !== "other" ? "data" : "other");
    else out[key] = stripNulls(value);
  }
  return out;
}

function mergeStages(base: unknown[], over: unknown[]): unknown[] {
  const out = [...base];
  over.forEach((item, i) => {
    if (!isMapping(item)) return void (out[i] = item);
    const byId = item.id === undefined ? -1 : out.findIndex((s) => isMapping(s) && s.id === item.id);
    const at = byId >= 0 ? byId : item.id === undefined ? i : out.length;
    out[at] = isMapping(out[at]) ? mergeMapping(out[at], item, "stage") : stripNulls(item);
  });
  return out;
}

/** A null that lands where nothing was merged means "absent". */
function stripNulls(value: unknown): unknown {
  if (!isMapping(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, stripNulls(v)]),
  );
}

/**
 * Applies `move` to every local path of a recipe (data sources, stage data, model.tiny.data,
 * output_dir): to make an override's paths absolute, or to rebase an imported config's paths
 * from where its tool would read them to where the recipe is written. Hub sources are left alone.
 */
export function mapLocalPaths(recipe: Raw, move: (p: string) => string): Raw {
  const each = (p: unknown): unknown => (typeof p === "string" ? move(p) : Array.isArray(p) ? p.map(each) : p);
  const source = (s: unknown) =>
    typeof s === "string" || Array.isArray(s)
      ? each(s)
      : isMapping(s) && s.path !== undefined
        ? { ...s, path: each(s.path) }
        : s;
  const data = (d: unknown) =>
    isMapping(d)
      ? { ...d, ...("train" in d ? { train: source(d.train) } : {}), ...("eval" in d ? { eval: source(d.eval) } : {}) }
      : d;
  const out: Raw = { ...recipe };
  if ("data" in out) out.data = data(out.data);
  if (Array.isArray(out.stages))
    out.stages = (out.stages as unknown[]).map((s) => (isMapping(s) && "data" in s ? { ...s, data: data(s.data) } : s));
  if (isMapping(out.model) && isMapping(out.model.tiny) && Array.isArray(out.model.tiny.data)) {
    out.model = { ...out.model, tiny: { ...out.model.tiny, data: each(out.model.tiny.data) } };
  }
  if (typeof out.output_dir === "string") out.output_dir = move(out.output_dir);
  return out;
}

/** Paths read against `from`, written absolute or, with `to`, relative to that folder. */
export function rebasePaths(from: string, to?: string): (p: string) => string {
  return (p) => {
    if (path.isAbsolute(p)) return p;
    const abs = path.resolve(from, p);
    return to === undefined ? abs : path.relative(to, abs) || ".";
  };
}
