/** The runs under a runs directory: finding one by id, and the status of each for `trellis ls`. */
import path from "node:path";
import type { RunEvent } from "../core/events/protocol.js";
import { decodeEventLine, warnOnStderr } from "../adapters/event-file.js";
import { listRunDirNames, readEventLines, runDirTime, runFiles } from "../adapters/run-dir.js";
import { initialState, reduce, type RunState } from "../core/run/state.js";
import { processAlive, readSupervisor } from "./prepared-run.js";
import { TrellisError } from "../core/errors.js";
import { foldOpenStall, type OpenStall } from "../core/health/stall-alert.js";
import { SUPERVISOR_SILENT_S, supervisorBeatAge } from "../adapters/supervisor-beat.js";

export class RunNotFoundError extends TrellisError {
  override readonly exitCode = 2;
}

interface RunSummary {
  id: string;
  dir: string;
  /** "stalled": a stage fell silent (no progress, no heartbeat); "not responding": its supervisor did. */
  status: "running" | "stalled" | "not responding" | "finished" | "failed" | "stopped" | "unknown";
  recipe: string | null;
  trainers: string;
  /** The stage that ran last, and its steps out of its total. */
  stage: string | null;
  step: number | null;
  maxSteps: number | null;
  startedAt: number | null;
  /** Seconds from the start to the end (or to now, while it runs). */
  duration: number | null;
  /** The stage that failed or was stopped. */
  failedStage: string | null;
  /** Why it ended so, in one line. */
  reason: string | null;
  /** Held-out preference accuracy after the last stage that measured it. */
  preference: number | null;
}

/** The runs of `runsDir`, oldest first (ids sort by their start time). */
export const listRunIds = listRunDirNames;

/** An exact run id, a unique prefix or substring of one, or "latest". */
export function findRun(runsDir: string, query: string | undefined): string {
  const ids = listRunIds(runsDir);
  if (!ids.length) throw new RunNotFoundError(`no runs in ${runsDir}`);
  if (!query || query === "latest") return path.join(runsDir, ids.at(-1)!);
  if (ids.includes(query)) return path.join(runsDir, query);
  const matches = ids.filter((id) => id.startsWith(query) || id.includes(query));
  if (matches.length === 1) return path.join(runsDir, matches[0]!);
  throw new RunNotFoundError(
    matches.length
      ? `'${query}' matches several runs: ${matches.join(", ")}`
      : `no run matches '${query}' in ${runsDir} (trellis ls lists them)`,
  );
}

/** Reads a run's status from its events, folded as the views fold them, and its supervisor. */
export function summarizeRun(
  dir: string,
  now = Date.now() / 1000,
  onSkipped: (notice: string) => void = warnOnStderr,
): RunSummary {
  const id = path.basename(dir);
  const out: RunSummary = {
    id,
    dir,
    status: "unknown",
    recipe: null,
    trainers: "",
    stage: null,
    step: null,
    maxSteps: null,
    startedAt: null,
    duration: null,
    failedStage: null,
    reason: null,
    preference: null,
  };
  const eventsFile = runFiles(dir).events;
  const lines = readEventLines(dir);
  if (!lines) return out;
  let state: RunState = initialState;
  let endedAt: number | null = null;
  let stall: OpenStall | null = null;
  for (const [i, line] of lines.entries()) {
    if (!line) continue;
    let e: RunEvent;
    try {
      e = decodeEventLine(eventsFile, i + 1, line);
    } catch (err) {
      // `ls` summarises what it can read; a damaged or cut line is named once and passed over.
      onSkipped(`${(err as Error).message}; skipped`);
      continue;
    }
    state = reduce(state, e);
    stall = foldOpenStall(stall, e);
    if (e.type === "run_end") endedAt = e.time;
    else if (e.type === "run_resumed") endedAt = null;
  }
  out.recipe = state.recipe;
  out.trainers = state.stages.map((s) => s.trainer).join("+");
  const ran = state.stages.findLast((s) => s.status !== "pending");
  if (ran) Object.assign(out, { stage: ran.id, step: ran.step, maxSteps: ran.maxSteps });
  // The latest measurement: after the last stage that finished it, else before the one that failed.
  out.preference =
    state.stages.flatMap((s) => [s.preferenceBefore, s.preferenceAfter]).findLast((x) => x !== null) ?? null;
  out.startedAt = state.startedAt;
  if (state.status === "running" || state.status === "pending") {
    const live = readSupervisor(dir);
    out.status = live ? "running" : "failed";
    if (out.status === "failed") out.reason = "the supervisor is gone without recording the run's end";
    if (live) Object.assign(out, liveness(dir, live.pid, stall, now));
  } else {
    out.status = state.status;
    const bad = state.stages.find((s) => s.status === "failed" || s.status === "stopped");
    out.failedStage = bad?.id ?? null;
    out.reason = oneLine(bad?.reason ?? state.reason);
  }
  out.startedAt ??= runDirTime(dir);
  out.duration = (endedAt ?? now) - out.startedAt;
  return out;
}

/** A live run whose supervisor or trainer has gone silent: the status and reason `ls` shows. */
function liveness(dir: string, pid: number, stall: OpenStall | null, now: number): Partial<RunSummary> {
  const age = supervisorBeatAge(dir, now);
  if (age !== null && age > SUPERVISOR_SILENT_S && processAlive(pid))
    return {
      status: "not responding",
      reason: `supervisor not responding (pid ${pid} exists, no beat for ${Math.round(age)} s): it is stopped or frozen; kill -CONT ${pid} if it was stopped`,
    };
  if (stall)
    return {
      status: "stalled",
      failedStage: stall.stage,
      reason: `stalled ${Math.round(now - stall.silentSince)} s: no progress and no heartbeat from stage '${stall.stage}'`,
    };
  return {};
}

function oneLine(text: string | null): string | null {
  return text ? text.split("\n")[0]!.trim() : null;
}
