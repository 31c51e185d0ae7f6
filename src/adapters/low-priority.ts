/**
 * Background subprocesses (the manifest's facts: packages, git state, GPUs) run while the first
 * stage's Python imports torch and TRL. At a low priority they take only the CPU it leaves
 * idle, so that recording a run does not delay its first step.
 */
import { setPriority } from "node:os";

/** The nice value of background work: the stage keeps the CPU whenever it wants it. */
const BACKGROUND_NICE = 15;

export function lowerPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, BACKGROUND_NICE);
  } catch {
    // Exited already, or not permitted: it runs at the normal priority, which is only slower.
  }
}
