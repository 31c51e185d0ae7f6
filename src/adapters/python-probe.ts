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
// the current directory's, which -c puts first on sys.path). `paths` is where they were found:
// installing or removing a package adds or removes a *.dist-info folder there.
const PACKAGES_SNIPPET = `import json, platform, re, site, sys, importlib.metadata as md
sys.path = [p for p in sys.path if p]
pkgs = {d.metadata["Name"]: d.version for d in md.distributions() if d.metadata["Name"]}
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
out["paths"] = [sys.executable, site.getusersitepackages(), *sys.path]
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
 */
export async function probePython(python: string, cacheDir = cacheRoot()): Promise<PythonFacts> {
  const cache = stampedCache(path.join(cacheDir, "python-facts"), PythonFacts);
  // platform.platform() names the kernel; PYTHONPATH adds folders to sys.path.
  const key = JSON.stringify({
    python: path.resolve(python),
    probe: sha256Text(PACKAGES_SNIPPET),
    kernel: release(),
    pythonpath: process.env.PYTHONPATH ?? null,
  });
  const cached = await cache.get(key);
  if (cached) return cached;
  const { paths, ...facts } = await runPythonJson(python, PACKAGES_SNIPPET, [], Probed, undefined, {
    background: true,
  });
  // Stamped after the probe, as only it knows the folders: an install during the probe is
  // within the racy window of the stamps, and nothing is kept.
  await cache.set(key, await stampsOf([python, ...paths]), facts);
  return facts;
}
