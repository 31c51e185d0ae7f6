/** The state of a run, folded from its events. Pure; the terminal views only read it. */
import { metricNumbers, type Phase, type RunEvent, type RunStatus, type Usage } from "../events/protocol.js";

/** What a stage has cost: each process reports its own (usage.py); a stage sums its processes. */
interface StageUsage {
  wall_s: number;
  cpu_s: number;
  device_s: number;
  tokens: number;
}

export interface StageState {
  id: string;
  trainer: string;
  status: "pending" | "running" | "finished" | "failed" | "stopped";
  step: number;
  maxSteps: number | null;
  epoch: number | null;
  /** Latest value of each training metric. */
  metrics: Record<string, number>;
  /** The current segment: a stopped or failed stage that is resumed runs again in a new process. */
  startedAt: number | null;
  endedAt: number | null;
  /** Seconds of the stage's earlier segments; `stageSeconds` adds the current one. */
  earlierSeconds: number;
  /** The stage's cost so far, summed over its segments; null before the first report. */
  usage: StageUsage | null;
  /** The part of `usage` from earlier segments. */
  earlierUsage: StageUsage | null;
  device: string | null;
  preferenceBefore: number | null;
  preferenceAfter: number | null;
  lastCheckpoint: string | null;
  savedTo: string | null;
  /** The merged model's folder (a stage with merge: true). */
  mergedTo: string | null;
  /** What the stage is doing (from `phase` events), since when, and how much work it has. */
  phase: Phase | null;
  phaseSince: number | null;
  phaseTotal: number | null;
  /** Why it failed, in one line, once it has. */
  reason: string | null;
}

export interface RunState {
  runId: string | null;
  recipe: string | null;
  runDir: string | null;
  /** When the run started (run_start), in seconds. */
  startedAt: number | null;
  status: RunStatus | "pending";
  reason: string | null;
  stages: StageState[];
  notices: string[];
  /** The first Python exception of the run, if any. */
  error: { stage: string; excType: string; message: string } | null;
  lastSeq: number;
}

export const initialState: RunState = {
  runId: null,
  recipe: null,
  runDir: null,
  startedAt: null,
  status: "pending",
  reason: null,
  stages: [],
  notices: [],
  error: null,
  lastSeq: 0,
};

const newStage = (id: string, trainer: string): StageState => ({
  id,
  trainer,
  status: "pending",
  step: 0,
  maxSteps: null,
  epoch: null,
  metrics: {},
  startedAt: null,
  endedAt: null,
  earlierSeconds: 0,
  usage: null,
  earlierUsage: null,
  device: null,
  preferenceBefore: null,
  preferenceAfter: null,
  lastCheckpoint: null,
  savedTo: null,
  mergedTo: null,
  phase: null,
  phaseSince: null,
  phaseTotal: null,
  reason: null,
});

export function reduce(state: RunState, event: RunEvent): RunState {
  const next: RunState = { ...state, lastSeq: Math.max(state.lastSeq, event.seq) };
  const patchStage = (id: string | null | undefined, patch: (s: StageState) => Partial<StageState>): RunState => ({
    ...next,
    stages: next.stages.map((s) => (s.id === id ? { ...s, ...patch(s) } : s)),
  });
  switch (event.type) {
    case "run_start":
      return {
        ...next,
        runId: event.run_id,
        recipe: event.recipe,
        runDir: event.run_dir,
        startedAt: event.time,
        status: "running",
        stages: event.stages.map((s) => newStage(s.id, s.trainer)),
      };
    case "stage_start":
      // Its phases may have started it already; a resumed stage starts a new segment.
      return patchStage(event.stage, (s) => ({ ...segmentAt(s, event.time), device: event.device }));
    case "phase":
      return patchStage(event.stage, (s) => ({
        ...segmentAt(s, event.time),
        phase: event.phase,
        phaseSince: event.time,
        phaseTotal: event.total ?? null,
      }));
    case "train_begin":
      return patchStage(event.stage, () => ({ maxSteps: event.max_steps }));
    case "metrics":
      return patchStage(event.stage, (s) => ({
        step: event.step,
        maxSteps: event.max_steps,
        epoch: event.epoch,
        metrics: { ...s.metrics, ...metricNumbers(event.metrics) },
        ...(event.usage ? { usage: addUsage(s.earlierUsage, event.usage) } : {}),
      }));
    case "usage":
      return patchStage(event.stage, (s) => ({ usage: addUsage(s.earlierUsage, event) }));
    case "checkpoint":
      return patchStage(event.stage, () => ({ lastCheckpoint: event.path }));
    case "stopped":
      return event.checkpoint ? patchStage(event.stage, () => ({ lastCheckpoint: event.checkpoint })) : next;
    case "train_summary":
      return patchStage(event.stage, (s) => ({ step: Math.max(s.step, event.step) }));
    case "preference_eval":
      return patchStage(event.stage, () =>
        event.when === "before" ? { preferenceBefore: event.accuracy } : { preferenceAfter: event.accuracy },
      );
    case "saved":
      return patchStage(event.stage, () => ({ savedTo: event.path, mergedTo: event.merged ?? null }));
    case "notice":
      return { ...next, notices: [...next.notices, event.message] };
    case "error":
      return next.error
        ? next
        : { ...next, error: { stage: event.stage ?? "?", excType: event.exc_type, message: event.message } };
    case "stage_end":
      return patchStage(event.stage, () => ({
        status: event.status,
        endedAt: event.time,
        reason: event.reason ?? null,
      }));
    case "run_end":
      return { ...next, status: event.status, reason: event.reason ?? null };
    case "run_resumed":
      // The run goes on: an earlier segment's end (and the exception that ended it) is history.
      return { ...next, status: "running", reason: null, error: null };
    default:
      return next;
  }
}

/** The stage's running segment goes on; else a new one starts, after the time and cost of the earlier ones. */
function segmentAt(s: StageState, time: number): Partial<StageState> {
  if (s.status === "running") return { startedAt: s.startedAt ?? time, endedAt: null };
  const earlier = s.startedAt !== null && s.endedAt !== null ? Math.max(0, s.endedAt - s.startedAt) : 0;
  return {
    status: "running",
    startedAt: time,
    endedAt: null,
    earlierSeconds: s.earlierSeconds + earlier,
    earlierUsage: s.usage,
  };
}

function addUsage(earlier: StageUsage | null, u: Usage | StageUsage): StageUsage {
  return {
    wall_s: (earlier?.wall_s ?? 0) + u.wall_s,
    cpu_s: (earlier?.cpu_s ?? 0) + u.cpu_s,
    device_s: (earlier?.device_s ?? 0) + u.device_s,
    tokens: (earlier?.tokens ?? 0) + u.tokens,
  };
}

/** The stage's time so far, summed over its segments (to `now` while one runs). */
export function stageSeconds(s: StageState, now: number): number | null {
  if (s.startedAt === null) return s.earlierSeconds || null;
  return s.earlierSeconds + Math.max(0, (s.endedAt ?? now) - s.startedAt);
}

/** Preference accuracy before the first stage and after the last, where measured. */
export function preferenceSummary(state: RunState): { before: number | null; after: number | null } {
  const measured = state.stages.filter((s) => s.preferenceBefore !== null || s.preferenceAfter !== null);
  return { before: measured[0]?.preferenceBefore ?? null, after: measured.at(-1)?.preferenceAfter ?? null };
}
