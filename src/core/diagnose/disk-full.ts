/**
 * A disk that filled while the supervisor was recording the run: the cause with the numbers
 * (which file, how much room was left, what was being written), said in the `disk_full` notice,
 * the stage's diagnosis and the run's reason. Pure: the numbers are measured by the caller.
 */
import { formatBytes } from "../recipe/model-checks.js";
import type { Diagnosis } from "./facts.js";

export interface DiskFullFacts {
  /** The file whose write failed. */
  path: string;
  /** Free bytes on its file system when the write failed; null when they could not be read. */
  free: number | null;
  /** What was being written (`event 64 (metrics)`). */
  writing: string;
  /** errno's name: ENOSPC, or EDQUOT for a quota. */
  code: string;
}

export function diskFullMessage(f: DiskFullFacts): string {
  const what = f.code === "EDQUOT" ? "the disk quota is exhausted" : "the disk is full";
  const free = f.free === null ? "" : `: ${formatBytes(f.free)} free`;
  return `${what} (${f.code}${free}) writing ${f.writing} to ${f.path}`;
}

export function diskFullDiagnosis(f: DiskFullFacts, runId: string): Diagnosis {
  return {
    cause: "disk_full",
    summary: `${diskFullMessage(f)}: the trainer was stopped and the events so far were kept`,
    fix: `free space on that disk (old runs, checkpoints, the Hugging Face cache in HF_HOME), keep fewer checkpoints (save_total_limit: 1) or put output_dir on a bigger disk, then continue with: trellis resume ${runId}`,
  };
}
