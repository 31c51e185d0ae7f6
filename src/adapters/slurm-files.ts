/**
 * The Slurm files of a run: per stage, the batch script sbatch runs and the per-node launch
 * srun starts, under runs/<id>/slurm/<stage>/ (or a `trellis render --slurm` folder).
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { renderSbatch, type SlurmOptions } from "../core/distributed/slurm.js";
import type { Distributed } from "../core/distributed/resolve.js";
import { stageDirs } from "./rank-files.js";

export const slurmDir = (runDir: string, stage: string) => path.join(runDir, "slurm", stage);

export function channelFiles(runDir: string, stage: string) {
  const { channels } = stageDirs(runDir, stage);
  return {
    eventsFile: path.join(channels, "events.jsonl"),
    controlFile: path.join(channels, "control.jsonl"),
    ranksDir: path.join(channels, "heartbeat"),
  };
}

export function writeSlurmScripts(o: {
  runDir: string;
  scriptsDir: string;
  runId: string;
  python: string;
  d: Distributed & { profileFile?: string; cpu: boolean };
  slurm: SlurmOptions;
  stages: Array<{ id: string; script: string }>;
  env?: Record<string, string>;
}): string[] {
  const written: string[] = [];
  for (const s of o.stages) {
    const dir = slurmDir(o.runDir, s.id);
    mkdirSync(dir, { recursive: true });
    const channels = channelFiles(o.runDir, s.id);
    mkdirSync(path.dirname(channels.eventsFile), { recursive: true });
    const { batch, node } = renderSbatch({
      d: o.d,
      slurm: o.slurm,
      jobName: `trellis-${s.id}`,
      runId: o.runId,
      python: o.python,
      script: path.join(o.scriptsDir, s.script),
      slurmDir: dir,
      rankLogs: stageDirs(o.runDir, s.id).rankLogs,
      channels,
      runtimeDir: path.join(o.scriptsDir, "trellis_runtime"),
      env: o.env ?? {},
      profileFile: o.d.profileFile,
      cpu: o.d.cpu,
    });
    writeFileSync(path.join(dir, "job.sbatch"), batch);
    writeFileSync(path.join(dir, "node.sh"), node);
    chmodSync(path.join(dir, "job.sbatch"), 0o755);
    written.push(path.join(dir, "job.sbatch"));
  }
  return written;
}
