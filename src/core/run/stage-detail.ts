/**
 * What the dashboard knows about one stage beyond the run state: versions and device, metric
 * histories, eval results, the last checkpoint and throughput. Histories are bounded `Series`
 * appended in place (the one mutable part: copying them per event would cost O(history));
 * everything else is replaced, so a new object means a change.
 */
import { Series } from "../chart/series.js";
import { metricNumbers, type Metric, type RunEvent } from "../events/protocol.js";

/** Throughput is measured over this many recent logs: steady, yet quick to follow a change. */
const RATE_WINDOW_LOGS = 10;

interface RatePoint {
  time: number;
  step: number;
  epoch: number | null;
  tokens: number | null;
}

/**
 * Two anchors a window apart: rates run from `older` to the newest log, so they cover between
 * RATE_WINDOW_LOGS and twice that many logs, with no per-log allocation beyond the point.
 */
interface RateAnchors {
  older: RatePoint;
  newer: RatePoint;
  /** Logs since `newer` was taken. */
  since: number;
}

export interface StageDetail {
  id: string;
  trainer: string;
  trlVersion: string | null;
  torchVersion: string | null;
  transformersVersion: string | null;
  device: string | null;
  cudaAvailable: boolean | null;
  trainRows: number | null;
  evalRows: number | null;
  numTrainEpochs: number | null;
  /** Every numeric training metric by name, over the stage's step. */
  history: Map<string, Series>;
  /** Every numeric eval metric by its logged name (`eval_loss`), over the step. */
  evalHistory: Map<string, Series>;
  evalLatest: Readonly<Record<string, number>>;
  /** Seconds since the stage began, over the step: the x axis of wall time. */
  wallClock: Series;
  beganAt: number | null;
  evalStep: number | null;
  lastCheckpoint: { step: number; path: string; time: number } | null;
  checkpoints: number;
  rate: RateAnchors | null;
  stepsPerSec: number | null;
  tokensPerSec: number | null;
  samplesPerSec: number | null;
  /** The latest MFU estimate from a metrics event's throughput; null when unknown. */
  mfu: number | null;
  /** True once a metrics event carried the trainer's own throughput count. */
  measured: boolean;
  /** `train_summary` metrics once training ends. */
  summary: Readonly<Record<string, number>> | null;
  /** Set by `stopping`: a graceful stop was asked at this step. */
  stoppingAt: number | null;
}

export function newStageDetail(id: string, trainer: string): StageDetail {
  return {
    id,
    trainer,
    trlVersion: null,
    torchVersion: null,
    transformersVersion: null,
    device: null,
    cudaAvailable: null,
    trainRows: null,
    evalRows: null,
    numTrainEpochs: null,
    history: new Map(),
    evalHistory: new Map(),
    evalLatest: {},
    wallClock: new Series(),
    beganAt: null,
    evalStep: null,
    lastCheckpoint: null,
    checkpoints: 0,
    rate: null,
    stepsPerSec: null,
    tokensPerSec: null,
    samplesPerSec: null,
    mfu: null,
    measured: false,
    summary: null,
    stoppingAt: null,
  };
}

/**
 * Folds one event of this stage; returns the same object when nothing changed. `values` are a
 * metrics event's metrics as numbers, when the caller has them already.
 */
export function reduceStageDetail(
  d: StageDetail,
  event: RunEvent,
  values?: Readonly<Record<string, number>>,
): StageDetail {
  switch (event.type) {
    case "phase":
      return d.beganAt === null ? { ...d, beganAt: event.time } : d;
    case "stage_start":
      return {
        ...d,
        beganAt: d.beganAt ?? event.time,
        // A resumed stage: rates start again (not across the pause) and its stop was done.
        rate: null,
        stoppingAt: null,
        trainer: event.trainer,
        device: event.device,
        trlVersion: event.trl_version ?? null,
        torchVersion: event.torch_version ?? null,
        transformersVersion: event.transformers_version ?? null,
        cudaAvailable: event.cuda_available ?? null,
      };
    case "data":
      return { ...d, trainRows: event.train_rows, evalRows: event.eval_rows };
    case "train_begin":
      return { ...d, numTrainEpochs: event.num_train_epochs ?? null };
    case "metrics": {
      const v = values ?? metricNumbers(event.metrics);
      append(d.history, event.step, v);
      d.wallClock.push(event.step, event.time - (d.beganAt ?? event.time));
      const next = withRates(d, {
        time: event.time,
        step: event.step,
        epoch: event.epoch,
        tokens: finite(v.num_tokens),
      });
      // The trainer's own count (real tokens over training time) beats the estimate from logs.
      const t = event.throughput;
      return t
        ? { ...next, tokensPerSec: t.tokens_per_s, samplesPerSec: t.samples_per_s, mfu: t.mfu, measured: true }
        : next;
    }
    case "eval": {
      const v = metricNumbers(event.metrics);
      append(d.evalHistory, event.step, v);
      return { ...d, evalLatest: v, evalStep: event.step };
    }
    case "checkpoint":
      return {
        ...d,
        lastCheckpoint: { step: event.step, path: event.path, time: event.time },
        checkpoints: d.checkpoints + 1,
      };
    case "stopping":
      return { ...d, stoppingAt: event.step };
    case "stopped":
      return event.checkpoint
        ? {
            ...d,
            lastCheckpoint: { step: event.step, path: event.checkpoint, time: event.time },
            checkpoints: d.checkpoints + 1,
          }
        : d;
    case "train_summary":
      return withSummary(d, event.metrics);
    default:
      return d;
  }
}

/** Appends each metric to its series, creating series as new names appear. */
function append(into: Map<string, Series>, step: number, values: Readonly<Record<string, number>>): void {
  for (const name in values) {
    let series = into.get(name);
    if (!series) into.set(name, (series = new Series()));
    series.push(step, values[name]!);
  }
}

function withRates(d: StageDetail, point: RatePoint): StageDetail {
  const prev = d.rate;
  const rate: RateAnchors = !prev
    ? { older: point, newer: point, since: 0 }
    : prev.since + 1 >= RATE_WINDOW_LOGS
      ? { older: prev.newer, newer: point, since: 0 }
      : { ...prev, since: prev.since + 1 };
  const first = rate.older;
  const dt = point.time - first.time;
  if (dt <= 0) return { ...d, rate };
  const stepsPerSec = (point.step - first.step) / dt;
  const tokensPerSec =
    point.tokens !== null && first.tokens !== null ? (point.tokens - first.tokens) / dt : d.tokensPerSec;
  const samplesPerSec =
    point.epoch !== null && first.epoch !== null && d.trainRows
      ? ((point.epoch - first.epoch) * d.trainRows) / dt
      : d.samplesPerSec;
  return { ...d, rate, stepsPerSec, tokensPerSec, samplesPerSec };
}

/** The trainer's own end-of-training figures replace the live estimates. */
function withSummary(d: StageDetail, metrics: Record<string, Metric | null>): StageDetail {
  const summary: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) {
    const n = finite(v ?? undefined);
    if (n !== null) summary[k] = n;
  }
  const runtime = summary.train_runtime;
  const tokens = d.history.get("num_tokens")?.lastFinite?.y;
  return {
    ...d,
    summary,
    samplesPerSec: summary.train_samples_per_second ?? d.samplesPerSec,
    stepsPerSec: summary.train_steps_per_second ?? d.stepsPerSec,
    tokensPerSec: !d.measured && runtime && tokens !== undefined ? tokens / runtime : d.tokensPerSec,
  };
}

function finite(v: number | undefined): number | null {
  return v !== undefined && Number.isFinite(v) ? v : null;
}
