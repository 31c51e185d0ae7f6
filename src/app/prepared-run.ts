/**
 * What a supervisor needs to run a prepared run, written to runs/<id>/launch.json by
 * `trellis run` and read back by the (possibly detached) supervisor process; and where a running
 * supervisor can be reached (supervisor.json, plus the token in a 0600 file).
 */
import { z } from "zod";
import { ENGINES, PROFILES } from "../core/distributed/block.js";
import { readLaunchFile, readSupervisorFiles, runFiles, writeLaunchFile } from "../adapters/run-dir.js";

/** Where each file of a run lives (the run-directory adapter's layout), for the CLI and the supervisor entry. */
export { runFiles };

export const PreparedRun = z.object({
  runId: z.string(),
  runDir: z.string(),
  recipeName: z.string(),
  python: z.string(),
  venv: z.string(),
  installed: z.boolean(),
  stages: z.array(z.object({ id: z.string(), trainer: z.string(), script: z.string() })),
  notices: z.array(z.object({ code: z.string(), message: z.string() })),
  host: z.string(),
  port: z.number().int().min(0).max(65535),
  allowOrigins: z.array(z.string()),
  /** What the run was made from, so `trellis resume` can refuse when it changed. */
  recipeFile: z.string(),
  recipeSha256: z.string(),
  lockSha256: z.string(),
  /** Stages whose batch the planner set, with the memory margin it was accepted with. */
  plannedMargins: z.record(z.string(), z.number()).optional(),
  /** Several processes per stage (torchrun, accelerate; src/core/distributed); one plain process when absent. */
  distributed: z
    .object({
      engine: z.enum(ENGINES),
      processesPerNode: z.number().int().positive(),
      nodes: z.number().int().positive(),
      nodeRank: z.number().int().min(0),
      rendezvous: z.object({ host: z.string(), port: z.number().int() }).nullable(),
      profile: z.enum(PROFILES).nullable(),
      configFile: z.string().nullable(),
      worldSize: z.number().int().positive(),
      hangSeconds: z.number().positive(),
      slurm: z.boolean().optional(),
      /** TRL's accelerate config for the profile, in the managed environment. */
      profileFile: z.string().optional(),
      /** No GPU on this machine: gloo, accelerate's CPU path. */
      cpu: z.boolean(),
    })
    .optional(),
  /** `trellis run --slurm`: the stages run as Slurm jobs (src/core/distributed/slurm.ts). */
  slurm: z.record(z.string(), z.unknown()).optional(),
  /** Set by `trellis resume`: continue this run (events.jsonl goes on) from this stage. */
  resume: z.object({ stage: z.string(), checkpoint: z.string().nullable() }).optional(),
});
export type PreparedRun = z.infer<typeof PreparedRun>;

const SupervisorInfo = z.object({
  pid: z.number().int(),
  url: z.string(),
  host: z.string(),
  port: z.number().int(),
  startedAt: z.number(),
});
type SupervisorInfo = z.infer<typeof SupervisorInfo>;

export function writePreparedRun(prepared: PreparedRun): void {
  writeLaunchFile(prepared.runDir, prepared);
}

export function readPreparedRun(runDir: string): PreparedRun {
  return PreparedRun.parse(readLaunchFile(runDir));
}

/** The running supervisor of a run, or undefined when none is (finished, or never started). */
export function readSupervisor(runDir: string): (SupervisorInfo & { token: string }) | undefined {
  try {
    const found = readSupervisorFiles(runDir);
    if (!found) return undefined;
    const info = SupervisorInfo.parse(found.info);
    if (!processAlive(info.pid)) return undefined;
    return { ...info, token: found.token() };
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
