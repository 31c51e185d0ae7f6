/** How many GPUs this process may use: CUDA_VISIBLE_DEVICES when set, else what nvidia-smi lists. */
import { execa } from "execa";
import { z } from "zod";
import { probeCommand } from "./venv/run-python.js";

export async function visibleGpus(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined)
    return visible.trim() === "" || visible.trim() === "-1" ? 0 : visible.split(",").filter((v) => v.trim()).length;
  const smi = await execa("nvidia-smi", ["-L"], { reject: false, timeout: 10_000 });
  return smi.exitCode === 0
    ? String(smi.stdout)
        .split("\n")
        .filter((l) => l.startsWith("GPU ")).length
    : 0;
}

/** TRL's accelerate config for a profile, in the environment of `python` (trl/accelerate_configs/). */
export async function trlProfileFile(python: string, profile: string): Promise<string> {
  const probe = probeCommand(python, "trl_profile", [profile]);
  const r = await execa(probe.file, probe.args, { reject: false, cwd: probe.cwd, env: probe.env });
  if (r.exitCode !== 0)
    throw new Error(`cannot locate TRL's accelerate profile '${profile}': ${String(r.stderr).trim()}`);
  return z.object({ path: z.string() }).parse(JSON.parse(String(r.stdout))).path;
}
