/** Checks on an import report against its source: every key has exactly one row, no row is made up. */
import type { Raw, ReportRow } from "../../src/core/interop/import/index.js";

const isMap = (v: unknown): v is Raw => v !== null && typeof v === "object" && !Array.isArray(v);
const join = (parent: string, key: string | number) =>
  typeof key === "number" ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;

/**
 * The source's keys that need a row: a key with a row of its own is covered; a mapping or a
 * list of mappings without one must have rows for all of its keys.
 */
export function uncovered(value: unknown, rows: ReportRow[], prefix = ""): string[] {
  const keys = new Set(rows.map((r) => r.key));
  const walk = (v: unknown, at: string): string[] => {
    if (at && keys.has(at)) return [];
    if (isMap(v) && Object.keys(v).length) return Object.entries(v).flatMap(([k, x]) => walk(x, join(at, k)));
    if (at && Array.isArray(v) && v.length && v.every(isMap)) return v.flatMap((x, i) => walk(x, join(at, i)));
    return at ? [at] : [];
  };
  return walk(value, prefix);
}

/** Every path in the source, for "rows name real keys". */
export function sourcePaths(value: unknown, at = ""): string[] {
  const here = at ? [at] : [];
  if (isMap(value)) return [...here, ...Object.entries(value).flatMap(([k, v]) => sourcePaths(v, join(at, k)))];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => sourcePaths(v, join(at, i)))];
  return here;
}
