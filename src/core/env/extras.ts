/**
 * Extras: optional packages (trackers, bitsandbytes, DeepSpeed...) locked like the base lock and
 * installed on request. Pure: the adapter reads python/extras/; this module decides with the data.
 */
import { z } from "zod";
import { didYouMean } from "../recipe/suggest.js";

/** One entry of python/extras/extras.json. */
const ExtraSpec = z
  .object({
    /** Top-level requirements the lock was resolved from. */
    requires: z.array(z.string().min(1)).min(1),
    about: z.string(),
    /** Why no lock exists for this platform (no wheels); the extra cannot be installed. */
    unavailable: z.string().optional(),
  })
  .strict();
export const ExtrasCatalog = z.record(z.string(), ExtraSpec);
type ExtraSpec = z.infer<typeof ExtraSpec>;

/** An extra as trellis can use it: its catalog entry and, when available, its lock and the packages it pins. */
export interface Extra extends ExtraSpec {
  name: string;
  lockText?: string;
  /** PEP 503 names pinned by its lock (for an unavailable extra: its top-level requirements). */
  packages: string[];
}

/** What an environment can hold, decided from lock files alone: the base pins and every extra. */
export interface PackageUniverse {
  /** PEP 503 names pinned by the base lock. */
  base: string[];
  extras: Extra[];
}

/** PEP 503 normalisation, so `Jinja2`, `jinja2` and `typing_extensions`/`typing-extensions` compare equal. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The extras of a venv as one canonical set: sorted, no duplicates, so `[a, b]` and `[b, a, b]` share a venv. */
export function extrasSet(...lists: ReadonlyArray<ReadonlyArray<string>>): string[] {
  return [...new Set(lists.flat())].sort();
}

/** Why `name` cannot be used as an extra (unknown, or no lock on this platform); undefined when it can. */
export function extraProblem(name: string, universe: PackageUniverse): string | undefined {
  const extra = universe.extras.find((e) => e.name === name);
  const names = universe.extras.map((e) => e.name);
  if (!extra) return `unknown extra '${name}'${didYouMean(name, names)} (extras: ${names.join(", ")})`;
  if (extra.unavailable !== undefined || extra.lockText === undefined)
    return `the ${name} extra cannot be installed here: ${extra.unavailable ?? "it has no lock file"}`;
  return undefined;
}

interface MergedPin {
  name: string;
  version: string;
}

/**
 * The pins to install for a set of extras: the union of their locks. The lock tool resolves all
 * extras together so they agree; two extras pinning one package differently is reported, not guessed.
 */
export function mergeExtraPins(extras: ReadonlyArray<{ name: string; pins: ReadonlyArray<MergedPin> }>): {
  pins: MergedPin[];
  conflicts: string[];
} {
  const chosen = new Map<string, { pin: MergedPin; from: string }>();
  const conflicts: string[] = [];
  for (const extra of extras) {
    for (const pin of extra.pins) {
      const key = normalizeName(pin.name);
      const seen = chosen.get(key);
      if (!seen) chosen.set(key, { pin, from: extra.name });
      else if (seen.pin.version !== pin.version)
        conflicts.push(`${pin.name}: ${seen.from} pins ${seen.pin.version}, ${extra.name} pins ${pin.version}`);
    }
  }
  const pins = [...chosen.values()]
    .map((c) => c.pin)
    .sort((a, b) => normalizeName(a.name).localeCompare(normalizeName(b.name)));
  return { pins, conflicts };
}
