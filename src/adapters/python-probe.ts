/** What a Python environment holds: its version, platform, every package, torch and CUDA. */
import { z } from "zod";
import { runPythonJson } from "./venv/run-python.js";

// Read from package metadata and torch/version.py, without importing torch: an import costs
// seconds of CPU before the first stage can start.
const PACKAGES_SNIPPET = `import json, platform, re, sys, importlib.metadata as md
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

export function probePython(python: string): Promise<PythonFacts> {
  return runPythonJson(python, PACKAGES_SNIPPET, [], PythonFacts);
}
