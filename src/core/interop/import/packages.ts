/**
 * What an imported recipe needs installed, carried by the importer itself: a tracker in
 * report_to or an 8-bit optimizer brings its trellis extra into the recipe's `extras`, and
 * flash attention, which no extra can install here, becomes sdpa. Each change is written into
 * the report row of the key that asked for it. Decided from lock data (packages.ts's needs), so
 * `trellis check` then finds nothing missing.
 */
import { normalizeName, type PackageUniverse } from "../../env/extras.js";
import type { FieldPath } from "../../recipe/errors.js";
import { modelPackageNeeds, packageNeeds, type PackageNeed } from "../../recipe/packages.js";
import type { Recipe } from "../../recipe/schema.js";
import { isMapping, type Raw, type ReportRow } from "./types.js";

/** The attention every machine has: PyTorch's fused scaled-dot-product attention. */
const PORTABLE_ATTENTION = "sdpa";

/** `["stages", 0, "args", "report_to", 1]` -> `stages[0].args.report_to[1]`, the report's `to` form. */
function pathText(p: FieldPath): string {
  return p.reduce<string>(
    (out, part) => (typeof part === "number" ? `${out}[${part}]` : out ? `${out}.${part}` : part),
    "",
  );
}

/** The report row that wrote `need.path` (or a parent of it: report_to's list items). */
function rowOf(rows: ReportRow[], need: PackageNeed): ReportRow | undefined {
  const at = pathText(need.path);
  return rows.find(
    (r) => r.to !== undefined && (at === r.to || at.startsWith(`${r.to}[`) || at.startsWith(`${r.to}.`)),
  );
}

const addNote = (row: ReportRow | undefined, note: string) => {
  if (row) row.note = row.note ? `${row.note}; ${note}` : note;
};

/**
 * Adds the extras `recipe` needs to its `extras` and replaces flash attention where it cannot be
 * installed, noting each in `rows` (changed in place). Returns the recipe and notes for needs no
 * extra provides (trellis check reports those, with the arg's location).
 */
export function carryPackages(
  recipe: Raw,
  rows: ReportRow[],
  universe: PackageUniverse,
): { recipe: Raw; notes: string[] } {
  const out: Raw = { ...recipe };
  const extras = new Set(Array.isArray(out.extras) ? (out.extras as string[]) : []);
  const notes: string[] = [];
  const base = new Set(universe.base);
  const needs: PackageNeed[] = [];
  if (isMapping(out.model)) needs.push(...modelPackageNeeds(out.model as Recipe["model"]));
  const stages = Array.isArray(out.stages) ? (out.stages as unknown[]) : [];
  stages.forEach((s, i) => {
    if (isMapping(s) && isMapping(s.args)) needs.push(...packageNeeds(s.args, ["stages", i, "args"]));
  });
  for (const need of needs) {
    const pkg = normalizeName(need.package);
    if (base.has(pkg)) continue;
    const extra = universe.extras.find((e) => e.packages.includes(pkg));
    const row = rowOf(rows, need);
    if (extra && extra.lockText !== undefined && extra.unavailable === undefined) {
      if (!extras.has(extra.name)) extras.add(extra.name);
      if (!row?.note.includes(`the ${extra.name} extra`))
        addNote(row, `${need.why} needs the ${extra.name} extra (added to extras)`);
      continue;
    }
    if (need.why.startsWith("attn_implementation")) {
      setAt(out, need.path, PORTABLE_ATTENTION);
      if (row) {
        row.status = "migrated";
        row.note = `${need.why} needs ${need.package}, which this environment lacks and trellis cannot install (no wheels): ${PORTABLE_ATTENTION} instead, PyTorch's fused attention; set it back where ${need.package} is installed`;
      }
      continue;
    }
    notes.push(
      `${pathText(need.path)}: ${need.why} needs the package ${need.package}, which no trellis extra provides: change it (trellis check will refuse it)`,
    );
  }
  if (extras.size) out.extras = [...extras].sort();
  return { recipe: out, notes };
}

/** Writes `value` at `p` in a copy-on-write walk of plain data (the recipe's own objects are not shared). */
function setAt(root: Raw, p: FieldPath, value: unknown): void {
  let node: Record<string | number, unknown> = root;
  p.forEach((part, i) => {
    if (i === p.length - 1) {
      node[part] = value;
      return;
    }
    const next = node[part];
    const copy = Array.isArray(next) ? [...(next as unknown[])] : { ...(next as Raw) };
    node[part] = copy;
    node = copy as Record<string | number, unknown>;
  });
}
