/** The state of a run, folded from its events. Pure; the terminal views only read it. */
import { metricNumbers, type Phase, type RunEvent, type RunStatus } from "../events/protocol.js";

export interface StageState {
  id: string;
  trainer: string;
  status: "pending" | "running" | "finished" | "failed" | "stopped";
  step: number;
  maxSteps: number | null;
  epoch: number | null;
  /** Latest value of each training metric. */
  metrics: Record<string, number>;
  startedAt: number | null;
  endedAt: number | null;
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
      // Its phases may have started it already; a resumed stage starts anew.
      return patchStage(event.stage, (s) => ({
        status: "running",
        startedAt: s.status === "running" ? (s.startedAt ?? event.time) : event.time,
        endedAt: null,
        device: event.device,
      }));
    case "phase":
      return patchStage(event.stage, (s) => ({
        status: "running",
        startedAt: s.status === "running" ? (s.startedAt ?? event.time) : event.time,
        endedAt: null,
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
      }));
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
      return { ...next, status: "running", reason: null };
    default:
      return next;
  }
}

/** Preference accuracy before the first stage and after the last, where measured. */
export function preferenceSummary(state: RunState): { before: number | null; after: number | null } {
  const measured = state.stages.filter((s) => s.preferenceBefore !== null || s.preferenceAfter !== null);
  return { before: measured[0]?.preferenceBefore ?? null, after: measured.at(-1)?.preferenceAfter ?? null };
}
