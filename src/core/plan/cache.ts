/**
 * Plans are cached by an environment fingerprint: the same model, data, stage settings,
 * world size, GPU and versions give the same plan without probing again. The key is canonical
 * JSON (sorted keys); the adapter hashes it into a file name.
 */
import type { Plan } from "./search.js";

export interface PlanFingerprint {
  model: string;
  dtype: string;
  trainer: string;
  data: string;
  seqLen: number;
  args: Record<string, unknown>;
  peft: unknown;
  worldSize: number;
  gpu: { name: string; memoryBytes: number };
  versions: Record<string, string>;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Args that the plan itself sets: they must not change the fingerprint. */
const PLANNED_ARGS = [
  "per_device_train_batch_size",
  "gradient_accumulation_steps",
  "gradient_checkpointing",
  "precompute_ref_log_probs",
];

export function planKey(f: PlanFingerprint): string {
  const args = Object.fromEntries(Object.entries(f.args).filter(([k]) => !PLANNED_ARGS.includes(k)));
  return canonicalJson({ ...f, args });
}

export interface PlanCache {
  get(key: string): Promise<Plan | null>;
  set(key: string, plan: Plan): Promise<void>;
}

interface CachedPlan {
  plan: Plan;
  cached: boolean;
}

/** The cached plan for this fingerprint, or a new search (stored for next time). */
export async function planWithCache(
  cache: PlanCache,
  fingerprint: PlanFingerprint,
  search: () => Promise<Plan>,
): Promise<CachedPlan> {
  const key = planKey(fingerprint);
  const hit = await cache.get(key);
  if (hit) return { plan: hit, cached: true };
  const plan = await search();
  await cache.set(key, plan);
  return { plan, cached: false };
}
