/**
 * The dashboard's view of a run, folded from its events: the run state plus, per stage, metric
 * histories, throughput and checkpoints; GPU samples; a tail of trainer output; health alerts.
 * Memory stays bounded for any run length and each event costs O(1) amortised: histories are
 * binned `Series` and the output is a ring, both appended in place (so an older snapshot sees
 * later points too; `version` tells snapshots apart). No I/O, no clock: callers pass `now`.
 */
import { Series } from "../chart/series.js";
import { metricNumbers, type GpuSample, type RunEvent, type Sample } from "../events/protocol.js";
import type { Alert } from "../health/alert.js";
import { initialHealth, observeHealth, type HealthState } from "../health/monitor.js";
import { healthOptions, type HealthOptions } from "../health/options.js";
import { foldStallAlert } from "../health/stall-alert.js";
import { isMetricsEcho } from "./echo.js";
import { newStageDetail, reduceStageDetail, type StageDetail } from "./stage-detail.js";
import { initialState, reduce, type RunState } from "./state.js";
import { Tail } from "./tail.js";

/** Trainer output lines kept: more than any layout shows, few enough to cost nothing. */
export const OUTPUT_TAIL_LINES = 200;
/** Alerts kept; each rule fires once per episode, so a healthy run has none. */
const MAX_ALERTS = 100;
/** Output lines are cut to this many characters: no terminal is wider. */
const MAX_LINE_CHARS = 500;
/** Generations events kept: the panel shows the baseline, the previous and the latest. */
const MAX_GENERATIONS = 50;

/** One `generations` event: every prompt's greedy answer at a point of a stage. */
export interface GenerationsRecord {
  stage: string;
  when: "before" | "step" | "after";
  step: number;
  samples: readonly Sample[];
}

interface OutputLine {
  time: number;
  stage: string;
  stream: "stdout" | "stderr";
  text: string;
}

interface GpuState {
  latest: readonly GpuSample[];
  time: number | null;
  /** Utilisation and memory percent per GPU index, over seconds since the run started. */
  util: Map<number, Series>;
  mem: Map<number, Series>;
}

export interface DashboardState {
  run: RunState;
  /** Events folded so far: a cheap key for memoising views. */
  version: number;
  startedAt: number | null;
  endedAt: number | null;
  /** Time of the latest event: the clock of a replayed run. */
  lastTime: number | null;
  trellisVersion: string | null;
  stages: Readonly<Record<string, StageDetail>>;
  gpu: GpuState;
  output: Tail<OutputLine>;
  /** Newest last, at most MAX_ALERTS. */
  alerts: readonly Alert[];
  alertCount: { warn: number; error: number };
  health: HealthState;
  healthOptions: HealthOptions;
  /** Newest last; the first one (before training) is kept however many follow: the baseline. */
  generations: readonly GenerationsRecord[];
}

export function initialDashboardState(options: Partial<HealthOptions> = {}): DashboardState {
  return {
    run: initialState,
    version: 0,
    startedAt: null,
    endedAt: null,
    lastTime: null,
    trellisVersion: null,
    stages: {},
    gpu: { latest: [], time: null, util: new Map(), mem: new Map() },
    output: new Tail(OUTPUT_TAIL_LINES),
    alerts: [],
    alertCount: { warn: 0, error: 0 },
    health: initialHealth,
    healthOptions: healthOptions(options),
    generations: [],
  };
}

export function reduceDashboard(state: DashboardState, event: RunEvent): DashboardState {
  const next: DashboardState = {
    ...state,
    run: reduce(state.run, event),
    version: state.version + 1,
    lastTime: Math.max(state.lastTime ?? event.time, event.time),
  };
  const values = event.type === "metrics" ? metricNumbers(event.metrics) : undefined;

  switch (event.type) {
    case "run_start": {
      const stages: Record<string, StageDetail> = {};
      for (const s of event.stages) stages[s.id] = newStageDetail(s.id, s.trainer);
      next.startedAt = event.time;
      next.trellisVersion = event.trellis_version;
      next.stages = stages;
      break;
    }
    case "run_end":
      next.endedAt = event.time;
      break;
    case "run_resumed": {
      // The run goes on: its clock runs again and no stop asked of an earlier segment is pending.
      next.endedAt = null;
      const stages: Record<string, StageDetail> = {};
      for (const [id, d] of Object.entries(state.stages))
        stages[id] = d.stoppingAt === null ? d : { ...d, stoppingAt: null };
      next.stages = stages;
      break;
    }
    case "gpu":
      next.gpu = foldGpu(state.gpu, event.time - (state.startedAt ?? event.time), event.gpus, event.time);
      break;
    case "generations": {
      const record: GenerationsRecord = {
        stage: event.stage ?? "",
        when: event.when,
        step: event.step,
        samples: event.samples,
      };
      const kept = [...state.generations, record];
      next.generations = kept.length > MAX_GENERATIONS ? [kept[0]!, ...kept.slice(-(MAX_GENERATIONS - 1))] : kept;
      break;
    }
    case "output": {
      const text = cleanLine(event.line);
      if (text && !isMetricsEcho(text))
        state.output.push({ time: event.time, stage: event.stage, stream: event.stream, text });
      break;
    }
    default:
      if (event.stage) {
        const detail =
          state.stages[event.stage] ?? newStageDetail(event.stage, event.type === "stage_start" ? event.trainer : "?");
        const updated = reduceStageDetail(detail, event, values);
        if (updated !== state.stages[event.stage]) next.stages = { ...state.stages, [event.stage]: updated };
      }
  }

  const trainerOf = (id: string) => next.stages[id]?.trainer;
  const { health, alerts } = observeHealth(state.health, event, trainerOf, state.healthOptions, values);
  next.health = health;
  if (alerts.length) {
    const count = { ...state.alertCount };
    for (const a of alerts) count[a.severity]++;
    next.alerts = [...state.alerts, ...alerts].slice(-MAX_ALERTS);
    next.alertCount = count;
  }
  Object.assign(next, foldStallAlert(next, event));
  return next;
}

/** Folds a whole list of events, e.g. a recorded events.jsonl. */
export function foldEvents(events: Iterable<RunEvent>, options: Partial<HealthOptions> = {}): DashboardState {
  let s = initialDashboardState(options);
  for (const e of events) s = reduceDashboard(s, e);
  return s;
}

function foldGpu(gpu: GpuState, x: number, gpus: readonly GpuSample[], time: number): GpuState {
  for (const g of gpus) {
    series(gpu.util, g.index).push(x, g.util);
    series(gpu.mem, g.index).push(x, g.mem_total_mb > 0 ? (100 * g.mem_used_mb) / g.mem_total_mb : NaN);
  }
  return { ...gpu, latest: gpus, time };
}

function series(map: Map<number, Series>, key: number): Series {
  let s = map.get(key);
  if (!s) map.set(key, (s = new Series()));
  return s;
}

/**
 * One printable line: what a progress bar left after its last carriage return, without escape
 * sequences or control characters, tabs as spaces, cut to MAX_LINE_CHARS.
 */
export function cleanLine(line: string): string {
  const afterCr = line.slice(line.lastIndexOf("\r", line.length - 2) + 1);
  return afterCr
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, "")
    .replace(/\u001b\][^\u0007]*(\u0007|\u001b\\)/g, "")
    .replace(/\t/g, "  ")
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, "")
    .trimEnd()
    .slice(0, MAX_LINE_CHARS);
}
