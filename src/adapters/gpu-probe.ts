/** The GPUs of this machine and their driver, asked of nvidia-smi once (the manifest's record). */
import { execa } from "execa";
import { parseNvidiaSmi } from "./gpu-sampler.js";
import { lowerPriority } from "./low-priority.js";

/** nvidia-smi answers in well under a second; a wedged driver must not hold up a run. */
const SMI_TIMEOUT_MS = 10_000;
const QUERY = "index,name,utilization.gpu,memory.used,memory.total,driver_version";

/** No GPU, or no nvidia-smi: no names and a null driver. */
export async function probeGpus(): Promise<{ names: string[]; driver: string | null }> {
  const child = execa("nvidia-smi", [`--query-gpu=${QUERY}`, "--format=csv,noheader,nounits"], {
    reject: false,
    timeout: SMI_TIMEOUT_MS,
  });
  lowerPriority(child.pid); // asked while the first stage starts: it must not slow it
  const smi = await child;
  const driver = smi.exitCode === 0 ? (String(smi.stdout).split("\n")[0]?.split(",").at(-1)?.trim() ?? null) : null;
  return { names: parseNvidiaSmi(String(smi.stdout ?? "")).map((g) => g.name), driver };
}
