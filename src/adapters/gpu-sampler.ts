/** GPU utilisation and memory from nvidia-smi, every few seconds, when the machine has it. */
import { execa } from "execa";
import type { GpuSample } from "../core/events/protocol.js";

/** nvidia-smi itself costs ~50 ms: every few seconds is live enough for a training run. */
const GPU_SAMPLE_MS = 5_000;
const QUERY = "index,name,utilization.gpu,memory.used,memory.total,power.draw,temperature.gpu";

export type { GpuSample };

/** Parses `nvidia-smi --format=csv,noheader,nounits` output; unreadable fields are left out. */
export function parseNvidiaSmi(text: string): GpuSample[] {
  return text
    .split("\n")
    .map((l) => l.split(",").map((c) => c.trim()))
    .filter((cells) => cells.length >= 5 && /^\d+$/.test(cells[0]!))
    .map(([index, name, util, used, total, power, temp]) => {
      const num = (s: string | undefined) =>
        s !== undefined && Number.isFinite(Number(s)) && s !== "" ? Number(s) : undefined;
      return {
        index: Number(index),
        name: name!,
        util: num(util) ?? 0,
        mem_used_mb: num(used) ?? 0,
        mem_total_mb: num(total) ?? 0,
        ...(num(power) !== undefined ? { power_w: num(power) } : {}),
        ...(num(temp) !== undefined ? { temp_c: num(temp) } : {}),
      };
    });
}

/** Starts sampling; returns a stop function. Silent (never starts) where nvidia-smi is absent. */
export function sampleGpus(onSample: (gpus: GpuSample[]) => void, everyMs = GPU_SAMPLE_MS): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const result = await execa("nvidia-smi", [`--query-gpu=${QUERY}`, "--format=csv,noheader,nounits"], {
      reject: false,
      timeout: 10_000,
    });
    if (stopped || result.exitCode !== 0) return; // no GPU tool here: stop quietly
    const gpus = parseNvidiaSmi(String(result.stdout));
    if (gpus.length) onSample(gpus);
    timer = setTimeout(() => void tick(), everyMs);
    timer.unref();
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
