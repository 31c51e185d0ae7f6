/**
 * The files of a launched stage's ranks, for the supervisor (torchrun, accelerate): the launcher's
 * command and channels, the failing rank's exception from torchrun's error files, the per-rank
 * logs, and the watch for a stalled collective.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { launcherArgs } from "../core/distributed/command.js";
import type { Distributed } from "../core/distributed/resolve.js";
import type { StageProcessOptions } from "./stage-process.js";
import type { Heartbeat } from "../core/distributed/hang.js";

export const stageDirs = (runDir: string, stage: string) => ({
  /** torchrun's --log-dir, one folder per node: per-rank stdout, stderr, error.json. */
  rankLogs: path.join(runDir, "logs", `${stage}.ranks`),
  channels: path.join(runDir, "ranks", stage),
});

/**
 * `rendezvousId` must be the same on every node: each node's `trellis run` has a run id of its
 * own, so the recipe and stage name the rendezvous (Slurm: the job id).
 */
export function launcherOptions(
  d: Distributed,
  o: {
    runDir: string;
    rendezvousId: string;
    stage: string;
    script: string;
    profileFile?: string;
    cpu: boolean;
    nodeRank?: string;
    rendezvous?: string;
  },
): NonNullable<StageProcessOptions["launcher"]> {
  const dirs = stageDirs(o.runDir, o.stage);
  mkdirSync(dirs.channels, { recursive: true });
  const logDir = path.join(dirs.rankLogs, `node${o.nodeRank ?? d.nodeRank}`);
  return {
    args: launcherArgs(d, {
      script: o.script,
      logDir,
      runId: o.rendezvousId,
      profileFile: o.profileFile,
      cpu: o.cpu,
      nodeRank: o.nodeRank,
      rendezvous: o.rendezvous,
    }),
    eventsFile: path.join(dirs.channels, "events.jsonl"),
    controlFile: path.join(dirs.channels, "control.jsonl"),
    ranksDir: path.join(dirs.channels, "heartbeat"),
  };
}

function* filesNamed(dir: string, name: string): Generator<string> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) yield* filesNamed(full, name);
    else if (e.name === name) yield full;
  }
}

/** A rank's exception (the fields of app/failure.ts's StageError), with where it ran. */
interface RankFailure {
  excType: string;
  message: string;
  errno?: number;
  causeTypes?: string[];
  rank: number | null;
  localRank: number | null;
  host: string | null;
  time: number;
}

/** The first rank that failed, from the error files its exception was written to (as torchrun's agent decides the root cause). */
export function firstRankFailure(runDir: string, stage: string): RankFailure | null {
  const failures: RankFailure[] = [];
  for (const file of filesNamed(stageDirs(runDir, stage).rankLogs, "error.json")) {
    try {
      const data = JSON.parse(readFileSync(file, "utf8")) as {
        message?: { message?: string; extraInfo?: { timestamp?: string; trellis?: Record<string, unknown> } };
      };
      const t = data.message?.extraInfo?.trellis ?? {};
      const [fallbackType, ...rest] = (data.message?.message ?? "").split(": ");
      failures.push({
        excType: typeof t.exc_type === "string" ? t.exc_type : (fallbackType ?? "error"),
        message: typeof t.message === "string" ? t.message : rest.join(": "),
        errno: typeof t.errno === "number" ? t.errno : undefined,
        causeTypes: Array.isArray(t.cause_types) ? (t.cause_types as string[]) : undefined,
        rank: typeof t.rank === "number" ? t.rank : null,
        localRank: typeof t.local_rank === "number" ? t.local_rank : Number(path.basename(path.dirname(file))),
        host: typeof t.host === "string" ? t.host : null,
        time: typeof t.time === "number" ? t.time : Number(data.message?.extraInfo?.timestamp ?? Infinity),
      });
    } catch {
      // half-written by a rank killed while writing: the others still tell
    }
  }
  failures.sort((a, b) => a.time - b.time);
  return failures[0] ?? null;
}

export function readHeartbeats(runDir: string, stage: string): Heartbeat[] {
  const dir = path.join(stageDirs(runDir, stage).channels, "heartbeat");
  const out: Heartbeat[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^rank-\d+\.json$/.test(n));
  } catch {
    return out;
  }
  for (const n of names) {
    try {
      out.push(JSON.parse(readFileSync(path.join(dir, n), "utf8")) as Heartbeat);
    } catch {
      // replaced while read
    }
  }
  return out.sort((a, b) => a.rank - b.rank);
}

/** logs/<stage>.rank<N>.stdout.log and .stderr.log, links to the files torchrun wrote for each rank. */
export function linkRankLogs(runDir: string, stage: string): string[] {
  const made: string[] = [];
  for (const beat of readHeartbeats(runDir, stage)) {
    if (!beat.log_dir) continue;
    for (const stream of ["stdout", "stderr"]) {
      const target = path.join(beat.log_dir, `${stream}.log`);
      const link = path.join(runDir, "logs", `${stage}.rank${beat.rank}.${stream}.log`);
      if (!existsSync(target)) continue;
      rmSync(link, { force: true });
      try {
        symlinkSync(path.relative(path.dirname(link), target), link);
        made.push(link);
      } catch {
        // a file system without links: the files are under logs/<stage>.ranks/ all the same
      }
    }
  }
  return made;
}
