/** What a Python environment holds: its version, platform, every package, torch and CUDA. */
import { readFileSync } from "node:fs";
import { release } from "node:os";
import path from "node:path";
import { z } from "zod";
import { sha256Text } from "./hash.js";
import { stampedCache, stampsOf } from "./stamp-cache.js";
import { cacheRoot } from "./venv/paths.js";
import { probeFile, runPythonJson } from "./venv/run-python.js";

// The probe is python/trellis_runtime/probes/packages.py (what it reads, and what it stamps for the cache).
let probeText: string | undefined;
const probeSource = () => (probeText ??= readFileSync(probeFile("packages"), "utf8"));

export const PythonFacts = z.object({
  python: z.string(),
  platform: z.string(),
  packages: z.record(z.string(), z.string()),
  torch: z.string().optional(),
  cuda: z.string().nullish(),
  /** The cuDNN wheel's version (nvidia-cudnn-*), when torch came with one. */
  cudnn: z.union([z.string(), z.number()]).nullish(),
  gpus: z.array(z.string()).optional(),
  torch_error: z.string().optional(),
});
export type PythonFacts = z.infer<typeof PythonFacts>;

const Probed = PythonFacts.extend({ paths: z.array(z.string()) });

/**
 * The facts of `python`'s environment, from the cache while the interpreter and every folder
 * its packages come from are unchanged (src/adapters/stamp-cache.ts), so that a run usually
 * spawns no probe while its first stage starts. On a miss the probe runs at a low priority.
 * `fresh` probes whatever the cache holds (`trellis reproduce`, which is the check).
 */
export async function probePython(
  python: string,
  opts: { cacheDir?: string; fresh?: boolean } = {},
): Promise<PythonFacts> {
  const cache = stampedCache(path.join(opts.cacheDir ?? cacheRoot(), "python-facts"), PythonFacts);
  const key = probeKey(python);
  const cached = opts.fresh ? undefined : await cache.get(key);
  if (cached) return cached;
  // The stamps' time is the probe's start, as only the probe knows what to stamp: an install
  // that ends while it runs is within the racy window, and nothing is kept.
  const startedAtMs = Date.now();
  const { paths, ...facts } = await runPythonJson(python, "packages", [], Probed, undefined, {
    background: true,
  });
  const stamps = await stampsOf([python, ...paths]);
  await cache.set(key, { ...stamps, takenAtMs: Math.min(stamps.takenAtMs, startedAtMs) }, facts);
  return facts;
}

/**
 * What the facts depend on beyond the stamped files: the interpreter named (a bare name by the
 * PATH it is found on), the probe itself, the kernel (in platform.platform()), and the PYTHON*
 * variables, PYTHONPATH's folders made absolute as Python makes them.
 */
function probeKey(python: string): string {
  const env = Object.entries(process.env)
    .filter(([name]) => name.startsWith("PYTHON"))
    .map(([name, value]) =>
      name === "PYTHONPATH"
        ? [name, (value ?? "").split(path.delimiter).map((p) => p && path.resolve(p))]
        : [name, value],
    )
    .sort(([a], [b]) => String(a).localeCompare(String(b)));
  return JSON.stringify({
    python: python.includes(path.sep) ? path.resolve(python) : { name: python, path: process.env.PATH ?? null },
    probe: sha256Text(probeSource()),
    kernel: release(),
    env,
  });
}
