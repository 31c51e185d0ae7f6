/**
 * The arms of a comparison, and the rule that makes it fair: every arm trains on the same data,
 * with the same seed, from the same starting model, and is scored on the same held-out pairs and
 * prompts. A difference is one error naming the field and what each arm has.
 */
import path from "pathe";
import type { Recipe } from "../recipe/schema.js";
import { TrellisError } from "../errors.js";

export interface Arm {
  /** The arm's name: its recipe's name (unique within a comparison). */
  name: string;
  /** The recipe file, as the user gave it (for messages). */
  file: string;
  recipe: Recipe;
  /** The recipe's data sources with paths made absolute, so two folders can agree. */
  resolvedData: unknown;
}

export class CompareError extends TrellisError {
  override readonly exitCode = 2;
}

/** At least two arms: one arm has nothing to be compared with. */
const MIN_ARMS = 2;

/** The fields that must agree, with how to read each from an arm. */
const SAME: Array<{ field: string; of: (a: Arm) => unknown; why: string }> = [
  { field: "data", of: (a) => a.resolvedData, why: "the same training pairs" },
  { field: "seed", of: (a) => a.recipe.seed, why: "the same seed (it also orders the data)" },
  // The same weights loaded in 4 or 8 bits are the same starting model: "LoRA or QLoRA?" is a fair
  // question. Each arm scores its own start, and the report says where those differ.
  {
    field: "model",
    of: (a) => ({ ...a.recipe.model, quantization: undefined }),
    why: "the same starting model (the baseline row)",
  },
  { field: "preference_eval", of: (a) => a.recipe.preference_eval, why: "the same held-out scoring" },
  { field: "generations", of: (a) => a.recipe.generations ?? null, why: "the same prompts" },
];

/** Checks the arms agree; throws one CompareError naming every field that differs. */
export function checkArms(arms: readonly Arm[]): void {
  if (arms.length < MIN_ARMS)
    throw new CompareError(`compare needs at least ${MIN_ARMS} arms (recipes), got ${arms.length}`);
  const names = new Map<string, string>();
  for (const a of arms) {
    const other = names.get(a.name);
    if (other)
      throw new CompareError(
        `${other} and ${a.file} have the same name '${a.name}': arms are told apart by their recipe's name; rename one`,
      );
    names.set(a.name, a.file);
  }
  const problems: string[] = [];
  const first = arms[0]!;
  for (const a of arms) {
    if (!a.recipe.data.eval)
      problems.push(
        `${a.file}: data.eval is missing: every arm is scored on held-out pairs (add data.eval: a file or {fraction: 0.05})`,
      );
    if (a.recipe.preference_eval === false)
      problems.push(`${a.file}: preference_eval is false: compare scores every arm on held-out pairs; remove it`);
    for (const s of a.recipe.stages) {
      if (s.data)
        problems.push(
          `${a.file}: stage '${s.id}' has its own data: compare trains every arm on the recipe's data; move it to the recipe's data or compare other recipes`,
        );
    }
  }
  for (const rule of SAME) {
    const want = stable(rule.of(first));
    const off = arms.filter((a) => stable(rule.of(a)) !== want);
    if (!off.length) continue;
    // Each arm's value at the first place where the first differing arm parts from the first.
    const where = diffPath(rule.of(first), rule.of(off[0]!)) ?? [];
    const at = [rule.field, ...where].join(".");
    const detail = [first, ...off]
      .map((a) => `${a.name} has ${at} = ${describe(valueAt(rule.of(a), where))}`)
      .join("; ");
    problems.push(`the arms differ in ${rule.field}: ${detail}. compare needs ${rule.why} in every arm`);
  }
  // Each run owns its output folder: a second arm writing into the first's would be refused mid-way.
  const outputs = new Map<string, string>();
  for (const a of arms) {
    if (!a.recipe.output_dir) continue;
    const dir = path.resolve(path.dirname(a.file), a.recipe.output_dir);
    const other = outputs.get(dir);
    if (other)
      problems.push(
        `${other} and ${a.file} both set output_dir ${dir}: each arm writes its own models; remove output_dir (each arm's go under its run folder) or give each its own`,
      );
    outputs.set(dir, a.file);
  }
  if (problems.length) throw new CompareError(problems.join("\n"));
}

/** JSON with sorted keys: two equal values give one string whatever their key order. */
export function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** The keys down to the first nested field where `b` differs from `a` (undefined: equal). */
function diffPath(a: unknown, b: unknown): string[] | undefined {
  if (stable(a) === stable(b)) return undefined;
  if (isRecord(a) && isRecord(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const d = diffPath(a[k], b[k]);
      if (d) return [k, ...d];
    }
  }
  return [];
}

/** `data.eval.path = /x/b.jsonl` for the first nested field where `b` differs from `a`. */
export function firstDifference(a: unknown, b: unknown, at: string): string | undefined {
  const where = diffPath(a, b);
  return where && `${[at, ...where].join(".")} = ${describe(valueAt(b, where))}`;
}

function valueAt(v: unknown, keys: readonly string[]): unknown {
  return keys.reduce<unknown>((x, k) => (isRecord(x) ? x[k] : undefined), v);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function describe(v: unknown): string {
  if (v === undefined) return "(absent)";
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
