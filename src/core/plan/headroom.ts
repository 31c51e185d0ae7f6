/**
 * During a run with a planned batch: warn when a GPU's free memory falls below half the margin
 * the plan was accepted with (the probes ran on the longest examples; a longer batch, another
 * process on the card or fragmentation can still eat the rest).
 */
import type { GpuSample } from "../events/protocol.js";

export function lowHeadroom(gpus: readonly GpuSample[], margin: number): GpuSample | null {
  return gpus.find((g) => g.mem_total_mb > 0 && 1 - g.mem_used_mb / g.mem_total_mb < margin / 2) ?? null;
}

export function headroomMessage(stage: string, g: GpuSample, margin: number): string {
  const free = 1 - g.mem_used_mb / g.mem_total_mb;
  return `stage '${stage}': GPU ${g.index} has ${(free * 100).toFixed(1)}% of its memory free, under half the planner's ${Math.round(margin * 100)}% margin: an out-of-memory error is near (plan again, or set the batch by hand)`;
}
