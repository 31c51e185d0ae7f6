/**
 * The three top lines: who (recipe, run id, status), where (stages, trainer, versions, device)
 * and how far (step bar, epoch, elapsed, ETA, throughput).
 */
import { stageProgress } from "../../core/run/progress.js";
import { PHASES, type Phase } from "../../core/events/protocol.js";
import type { StageState } from "../../core/run/state.js";
import { clock } from "../../core/clock.js";
import { rate } from "./numbers.js";
import { joinFit, spread, width } from "./text.js";
import type { PanelContext } from "./panel-context.js";

export function headerLines(v: PanelContext): string[] {
  return [titleLine(v), stageLine(v), progressLine(v)];
}

function titleLine(v: PanelContext): string {
  const { state, paint, sym } = v;
  const run = state.run;
  const left = `${paint.bold("trellis")} ${sym.sep} ${run.recipe ?? "…"}${run.runId ? ` ${sym.sep} ${paint.dim(run.runId)}` : ""}`;
  const elapsed = state.startedAt !== null ? clock((state.endedAt ?? v.now) - state.startedAt) : "";
  const stopping = Object.values(state.stages).some((d) => d.stoppingAt !== null) && run.status === "running";
  const status =
    run.status === "finished"
      ? paint.green(`${sym.ok} finished`)
      : run.status === "failed"
        ? paint.red(`${sym.error} failed`)
        : run.status === "stopped"
          ? paint.yellow(`${sym.stopped} stopped`)
          : stopping
            ? paint.yellow(`${sym.running} stopping`)
            : run.status === "running"
              ? paint.green(`${sym.running} running`)
              : paint.dim(`${sym.pending} waiting`);
  return spread(left, `${status} ${elapsed}`.trimEnd(), v.width);
}

export function stageMark(s: StageState, v: PanelContext): string {
  const { paint, sym } = v;
  switch (s.status) {
    case "finished":
      return paint.green(sym.ok);
    case "failed":
      return paint.red(sym.error);
    case "stopped":
      return paint.yellow(sym.stopped);
    case "running":
      return paint.cyan(sym.running);
    default:
      return paint.dim(sym.pending);
  }
}

function stageLine(v: PanelContext): string {
  const { state, paint, sym } = v;
  const cur = v.shown;
  if (!cur) return paint.dim("waiting for the run to start");
  // The stage tabs: the one shown in brackets (t moves on).
  const chain = state.run.stages
    .map((s, i) => (i + 1 === cur.index ? paint.inverse(`[${s.id} ${stageMark(s, v)}]`) : `${s.id} ${stageMark(s, v)}`))
    .join(` ${sym.arrow} `);
  const d = cur.detail;
  const device = deviceName(v, d?.device ?? cur.stage.device);
  return joinFit(
    [
      state.run.stages.length > 1 ? chain : "",
      `stage ${cur.index}/${state.run.stages.length} ${paint.bold(cur.stage.trainer.toUpperCase())}`,
      d?.trlVersion ? `TRL ${d.trlVersion}` : "",
      d?.torchVersion ? `torch ${d.torchVersion}` : "",
      device,
    ],
    "  ",
    v.width,
  );
}

/** The GPU's name from nvidia-smi when sampled, else what the stage reported (cpu, cuda:0). */
function deviceName(v: PanelContext, device: string | null): string {
  const gpus = v.state.gpu.latest;
  if (gpus.length > 0 && device !== "cpu") {
    const name = gpus[0]!.name.replace(/^NVIDIA\s+/i, "");
    return gpus.length > 1 ? `${gpus.length}x ${name}` : name;
  }
  if (!device) return "";
  return device === "cpu" ? "CPU" : device;
}

/** Bar cells: what the other parts leave, within these bounds. */
const MIN_BAR = 8;
const MAX_BAR = 40;

function progressLine(v: PanelContext): string {
  const { paint, sym } = v;
  const cur = v.shown;
  if (!cur) return "";
  const running = cur.stage.status === "running";
  if (running && cur.stage.phase !== "training" && cur.stage.step === 0) return phaseLine(v, cur.stage);
  if (cur.stage.status === "pending" && v.state.run.status === "running") return phaseLine(v, cur.stage);
  const p = stageProgress(cur.stage, cur.detail, v.now);
  const done = p.maxSteps !== null && p.step >= p.maxSteps;
  const samples = rate(p.samplesPerSec);
  const tokens = rate(p.tokensPerSec);
  const pct = p.fraction !== null ? `${Math.floor(p.fraction * 100)}%` : "";
  const rest = [
    p.epoch !== null ? `ep ${p.epoch.toFixed(2)}` : "",
    p.elapsed !== null
      ? `${clock(p.elapsed)}${running && !done ? ` ETA ${clock(p.eta)}` : running && cur.stage.phase && cur.stage.phase !== "training" ? ` ${phaseLabel(cur.stage.phase, cur.stage.phaseTotal)}` : ""}`
      : "",
    samples ? `${samples} samples/s` : "",
    tokens ? `${tokens} tok/s` : "",
    cur.detail?.mfu != null ? `MFU ${(cur.detail.mfu * 100).toFixed(1)}%` : "",
  ].filter(Boolean);
  const steps = `step ${p.step}/${p.maxSteps ?? "?"}`;
  const used = width([steps, pct, ...rest].join("  ")) + 3;
  const barWidth = Math.max(MIN_BAR, Math.min(MAX_BAR, v.width - used));
  const filled = p.fraction !== null ? Math.round(p.fraction * barWidth) : 0;
  const bar =
    sym.barLeft +
    paint.cyan(sym.barFull.repeat(filled)) +
    paint.dim(sym.barEmpty.repeat(barWidth - filled)) +
    sym.barRight;
  return joinFit([`${steps} ${bar} ${pct}`, ...rest], "  ", v.width);
}

const PHASE_LABELS: Record<Phase, string> = {
  environment: "environment",
  data: "data",
  model: "model",
  preference_eval: "pref eval",
  training: "training",
  saving: "saving",
};

function phaseLabel(phase: Phase, total: number | null): string {
  return phase === "preference_eval" && total ? `${PHASE_LABELS[phase]} (${total} pairs)` : PHASE_LABELS[phase];
}

/**
 * Before training, what the stage is doing and for how long, then where that is in the whole:
 * `● loading model 0:03  environment ✓ data ✓ model ● pref eval · training · saving`.
 * Before Python has said anything, the stage is starting its interpreter: the environment phase.
 */
function phaseLine(v: PanelContext, s: StageState): string {
  const { paint, sym } = v;
  const phase: Phase = s.phase ?? "environment";
  const since = s.phaseSince ?? v.state.startedAt;
  const at = PHASES.indexOf(phase);
  const now = `${at + 1}/${PHASES.length} ${paint.cyan(sym.running)} ${paint.bold(phaseLabel(phase, s.phaseTotal))}${since !== null ? ` ${clock(v.now - since)}` : ""}`;
  const steps = PHASES.map((p, i) =>
    i < at
      ? `${PHASE_LABELS[p]} ${paint.green(sym.ok)}`
      : i === at
        ? paint.bold(PHASE_LABELS[p])
        : paint.dim(PHASE_LABELS[p]),
  );
  return joinFit([`phase ${now}`, steps.join(" ")], "  ", v.width);
}
