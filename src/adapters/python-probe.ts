/** What a Python environment holds: its version, platform, every package, torch and CUDA. */
import { release } from "node:os";
import path from "node:path";
import { z } from "zod";
import { sha256Text } from "./hash.js";
import { stampedCache, stampsOf } from "./stamp-cache.js";
import { cacheRoot } from "./venv/paths.js";
import { runPythonJson } from "./venv/run-python.js";

// Read from package metadata and torch/version.py, without importing torch: an import costs
// seconds of CPU before the first stage can start. The packages are those a script sees (not
// the current directory's, which -c puts first on sys.path). `paths` is what a change to the
// environment touches, for the cache: the folders packages are found in (installing or removing
// one adds or removes a *.dist-info there), the .pth files in them and the venv's pyvenv.cfg,
// which are edited in place, and legacy *.egg-info metadata (setup.py develop rewrites it).
const PACKAGES_SNIPPET = `import json, os, platform, re, site, sys, importlib.metadata as md
sys.path = [p for p in sys.path if p]
dists = list(md.distributions())
pkgs = {d.metadata["Name"]: d.version for d in dists if d.metadata["Name"]}
out = {"python": sys.version.split()[0], "platform": platform.platform(), "packages": dict(sorted(pkgs.items(), key=lambda kv: kv[0].lower()))}
try:
    dist = md.distribution("torch")
    out["torch"] = dist.version
    text = dist.locate_file("torch/version.py").read_text()
    m = re.search(r"^cuda\\b[^=]*=(.+)$", text, re.M)
    value = m.group(1).strip().strip(chr(39) + chr(34)) if m else "None"
    out["cuda"] = None if value == "None" else value
    cudnn = next((v for k, v in pkgs.items() if k.lower().startswith("nvidia-cudnn")), None)
    out["cudnn"] = cudnn
except Exception as e:
    out["torch_error"] = f"{type(e).__name__}: {e}"
paths = [sys.executable, site.getusersitepackages(), os.path.join(sys.prefix, "pyvenv.cfg"), *sys.path]
for folder in sys.path:
    try:
        paths += [os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f.endswith(".pth")]
    except OSError:
        pass
for d in dists:
    where = str(getattr(d, "_path", ""))
    if where.endswith(".egg-info"):
        paths.append(os.path.join(where, "PKG-INFO") if os.path.isdir(where) else where)
out["paths"] = paths
print(json.dumps(out))`;

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
  const { paths, ...facts } = await runPythonJson(python, PACKAGES_SNIPPET, [], Probed, undefined, {
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
    probe: sha256Text(PACKAGES_SNIPPET),
    kernel: release(),
    env,
  });
}
