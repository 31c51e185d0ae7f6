/** The NVIDIA driver, as nvidia-smi reports it: which CUDA version it supports. */
import { execa } from "execa";
import { findExecutable } from "./paths.js";

/** nvidia-smi answers in well under a second when the driver is loaded; a hung one should not hang us. */
const SMI_TIMEOUT_MS = 10_000;

interface DriverInfo {
  /** The highest CUDA version the driver supports ("13.0"), from nvidia-smi's header. */
  cuda: string;
  driver?: string;
}

/** undefined when there is no nvidia-smi, or it does not answer (no GPU, no driver loaded). */
export async function probeDriver(env: NodeJS.ProcessEnv = process.env): Promise<DriverInfo | undefined> {
  const smi = await findExecutable(env.TRELLIS_NVIDIA_SMI || "nvidia-smi", env);
  if (smi === undefined) return undefined;
  const result = await execa(smi, [], { reject: false, timeout: SMI_TIMEOUT_MS });
  if (result.failed) return undefined;
  return parseSmiHeader(String(result.stdout));
}

/** `| NVIDIA-SMI 580.65.06   Driver Version: 580.65.06   CUDA Version: 13.0 |` -> { cuda: "13.0", driver: "580.65.06" }. */
export function parseSmiHeader(text: string): DriverInfo | undefined {
  const cuda = /CUDA Version:\s*(\d+\.\d+)/.exec(text)?.[1];
  if (!cuda) return undefined;
  const driver = /Driver Version:\s*([\d.]+)/.exec(text)?.[1];
  return driver ? { cuda, driver } : { cuda };
}
