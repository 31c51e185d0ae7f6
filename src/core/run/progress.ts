/** Derived figures for the views: which stage is current, how far it is, how fast, how long. */
import type { DashboardState } from "./dashboard-state.js";
import type { StageDetail } from "./stage-detail.js";
import { stageSeconds, type StageState } from "./state.js";

export interface CurrentStage {
  stage: StageState;
  detail: StageDetail | undefined;
  /** 1-based position among the run's stages. */
  index: number;
}

/** The running stage; else the last one that started; else the first. */
export function currentStage(state: DashboardState): CurrentStage | undefined {
  const stages = state.run.stages;
  let i = stages.findIndex((s) => s.status === "running");
  if (i < 0) i = stages.findLastIndex((s) => s.status !== "pending");
  if (i < 0) i = 0;
  const stage = stages[i];
  return stage ? { stage, detail: state.stages[stage.id], index: i + 1 } : undefined;
}

interface StageProgress {
  step: number;
  maxSteps: number | null;
  /** 0..1, or null without max_steps. */
  fraction: number | null;
  epoch: number | null;
  /** Seconds the stage has run, summed over its segments (to its end once ended). */
  elapsed: number | null;
  /** Seconds left at the current pace; null when unknown or done. */
  eta: number | null;
  stepsPerSec: number | null;
  samplesPerSec: number | null;
  tokensPerSec: number | null;
}

/** `now` is in seconds, like event times (pass the last event's time to replay a recording). */
export function stageProgress(stage: StageState, detail: StageDetail | undefined, now: number): StageProgress {
  const max = stage.maxSteps;
  const elapsed = stageSeconds(stage, now);
  const rate = detail?.stepsPerSec ?? null;
  const left = max !== null ? max - stage.step : null;
  const eta = stage.status === "running" && rate && rate > 0 && left !== null && left > 0 ? left / rate : null;
  return {
    step: stage.step,
    maxSteps: max,
    fraction: max ? Math.min(1, stage.step / max) : null,
    epoch: stage.epoch,
    elapsed,
    eta,
    stepsPerSec: rate,
    samplesPerSec: detail?.samplesPerSec ?? null,
    tokensPerSec: detail?.tokensPerSec ?? null,
  };
}
