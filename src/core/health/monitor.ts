/**
 * Runs the health rules over a run's events. Pure: the state is a value, each call returns the
 * next one plus the alerts that fired. A rule fires once per episode (while its condition holds)
 * and then keeps quiet for a cooldown, except to escalate from warn to error.
 */
import { metricNumbers, type GpuSample, type RunEvent } from "../events/protocol.js";
import { severityRank, type Alert, type AlertId, type Severity } from "./alert.js";
import { DEFAULT_HEALTH_OPTIONS, type HealthOptions } from "./options.js";
import { METRIC_RULES, type Finding, type StageWindows } from "./rules.js";
import { mean, pushWindow, stdev } from "./window.js";

interface StageHealth {
  w: StageWindows;
  /** Rules whose condition held at the last log, with the severity they held at. */
  active: Partial<Record<AlertId, Severity>>;
  /** When (in logs seen) and how loud each rule last fired. */
  lastFired: Partial<Record<AlertId, { log: number; severity: Severity }>>;
}

export interface HealthState {
  stages: Record<string, StageHealth>;
  /** GPUs currently over the memory threshold (by index). */
  gpuMemory: Record<number, boolean>;
  /** Stages that already reported an out-of-memory line. */
  oom: Record<string, boolean>;
}

export const initialHealth: HealthState = { stages: {}, gpuMemory: {}, oom: {} };

export interface HealthResult {
  health: HealthState;
  alerts: Alert[];
}

const emptyWindows = (): StageWindows => ({
  logs: 0,
  zeroLossRun: 0,
  accuracy: [],
  chosen: [],
  rejected: [],
  margins: [],
  gradSamples: [],
  gradBaseline: null,
});

/**
 * Folds any run event; only `metrics`, `gpu` and `output` can raise alerts. `values` are the
 * event's metrics as numbers when the caller has them already.
 */
export function observeHealth(
  h: HealthState,
  event: RunEvent,
  trainerOf: (stage: string) => string | undefined,
  o: HealthOptions = DEFAULT_HEALTH_OPTIONS,
  values?: Readonly<Record<string, number>>,
): HealthResult {
  switch (event.type) {
    case "metrics":
      return event.stage
        ? observeMetrics(
            h,
            {
              stage: event.stage,
              trainer: trainerOf(event.stage),
              step: event.step,
              metrics: values ?? metricNumbers(event.metrics),
            },
            o,
          )
        : { health: h, alerts: [] };
    case "gpu":
      return observeGpu(h, event.stage ?? null, event.gpus, o);
    case "output":
      return observeOutput(h, event.stage, event.line);
    default:
      return { health: h, alerts: [] };
  }
}

export function observeMetrics(
  h: HealthState,
  input: { stage: string; trainer: string | undefined; step: number; metrics: Readonly<Record<string, number>> },
  o: HealthOptions,
): HealthResult {
  const prev = h.stages[input.stage] ?? { w: emptyWindows(), active: {}, lastFired: {} };
  const w = updateWindows(prev.w, input.step, input.metrics, o);
  const warm = isWarm(w, input.step, o);
  const active: Partial<Record<AlertId, Severity>> = {};
  const lastFired = { ...prev.lastFired };
  const alerts: Alert[] = [];
  for (const rule of METRIC_RULES) {
    if (!rule.applies(input.trainer)) continue;
    const finding: Finding | null = rule.check({
      trainer: input.trainer,
      step: input.step,
      metrics: input.metrics,
      w,
      o,
      warm,
    });
    if (!finding) continue;
    active[rule.id] = finding.severity;
    const was = prev.active[rule.id];
    const escalates = was !== undefined && severityRank(finding.severity) > severityRank(was);
    const fired = lastFired[rule.id];
    const cooled =
      fired === undefined ||
      w.logs - fired.log >= o.cooldownLogs ||
      severityRank(finding.severity) > severityRank(fired.severity);
    if (escalates || (was === undefined && cooled)) {
      lastFired[rule.id] = { log: w.logs, severity: finding.severity };
      alerts.push({
        id: rule.id,
        severity: finding.severity,
        stage: input.stage,
        step: input.step,
        message: finding.message,
      });
    }
  }
  return { health: { ...h, stages: { ...h.stages, [input.stage]: { w, active, lastFired } } }, alerts };
}

function isWarm(w: StageWindows, step: number, o: HealthOptions): boolean {
  return step >= o.warmupSteps && w.logs >= o.warmupLogs;
}

function updateWindows(
  w: StageWindows,
  step: number,
  m: Readonly<Record<string, number>>,
  o: HealthOptions,
): StageWindows {
  const next: StageWindows = { ...w, logs: w.logs + 1, zeroLossRun: m.loss === 0 ? w.zeroLossRun + 1 : 0 };
  const push = (
    key: keyof Pick<StageWindows, "accuracy" | "chosen" | "rejected" | "margins">,
    value: number | undefined,
    size: number,
  ) => {
    if (value !== undefined && Number.isFinite(value)) next[key] = pushWindow(w[key], value, size);
  };
  push("accuracy", m["rewards/accuracies"], o.accuracyWindowLogs);
  push("chosen", m["rewards/chosen"], o.rewardTrendLogs);
  push("rejected", m["rewards/rejected"], o.rewardTrendLogs);
  push("margins", m["rewards/margins"], o.rewardTrendLogs);
  const g = m.grad_norm;
  if (!w.gradBaseline && g !== undefined && Number.isFinite(g) && isWarm(next, step, o)) {
    const samples = [...w.gradSamples, g];
    if (samples.length >= o.gradBaselineLogs) {
      next.gradBaseline = { mean: mean(samples), sd: stdev(samples) };
      next.gradSamples = [];
    } else next.gradSamples = samples;
  }
  return next;
}

export function observeGpu(
  h: HealthState,
  stage: string | null,
  gpus: readonly GpuSample[],
  o: HealthOptions,
): HealthResult {
  const gpuMemory = { ...h.gpuMemory };
  const alerts: Alert[] = [];
  for (const gpu of gpus) {
    const fraction = gpu.mem_total_mb > 0 ? gpu.mem_used_mb / gpu.mem_total_mb : 0;
    const high = fraction >= o.gpuMemoryWarnFraction;
    if (high && !gpuMemory[gpu.index]) {
      const gib = (mb: number) => (mb / 1024).toFixed(1);
      alerts.push({
        id: "gpu-memory",
        severity: "warn",
        stage,
        step: null,
        message: `GPU ${gpu.index} memory at ${Math.round(fraction * 100)}% (${gib(gpu.mem_used_mb)}/${gib(gpu.mem_total_mb)} GiB): near OOM; lower the batch size or max_length, or enable gradient checkpointing`,
      });
    }
    gpuMemory[gpu.index] = high;
  }
  return { health: { ...h, gpuMemory }, alerts };
}

/** PyTorch's and the CUDA runtime's words for running out of device memory. */
const OOM = /CUDA out of memory|OutOfMemoryError|CUDA error: out of memory/i;

export function observeOutput(h: HealthState, stage: string, line: string): HealthResult {
  if (h.oom[stage] || !OOM.test(line)) return { health: h, alerts: [] };
  return {
    health: { ...h, oom: { ...h.oom, [stage]: true } },
    alerts: [
      {
        id: "oom",
        severity: "error",
        stage,
        step: null,
        message: "out of GPU memory: lower per_device_train_batch_size or max_length, or enable gradient checkpointing",
      },
    ],
  };
}
