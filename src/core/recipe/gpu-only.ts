/**
 * Settings that only run on a CUDA GPU, said by `check` on a machine without one: the recipe
 * stays valid (it may be meant for a GPU machine), but here its stage would stop at its start
 * (python/trellis_runtime/quantization.py device_problems says the same then).
 */
import type { Stage } from "./schema.js";

/** One line per stage setting this machine cannot run; none when it has a GPU. */
export function gpuOnlyNotes(stages: ReadonlyArray<Pick<Stage, "id" | "trainer" | "args">>, hasGpu: boolean): string[] {
  if (hasGpu) return [];
  return stages
    .filter((s) => s.args.use_liger_kernel === true)
    .map(
      (s) =>
        `stage ${s.id}: use_liger_kernel: true (Liger's fused ${s.trainer} loss and kernels, TRL's argument) needs a CUDA GPU (Triton kernels) and this machine has none: the stage stops at its start here; run it on a GPU machine, or remove it`,
    );
}
