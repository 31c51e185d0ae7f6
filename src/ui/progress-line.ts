/**
 * The plain terminal view of `trellis run` on a TTY: one progress line per stage, redrawn in
 * place at most a few times a second, then a summary. (The dashboard is a separate view.)
 */
import type { EventSink } from "../app/event-bus.js";
import { initialState, preferenceSummary, reduce, type RunState, type StageState } from "../core/run/state.js";
import { bar, colorEnabled, duration, metric, painter } from "./format.js";

/** Redraws per second: enough to look live, few enough to cost nothing. */
const REDRAW_MS = 200;
const BAR_WIDTH = 20;

export function progressLineSink(out: NodeJS.WriteStream = process.stderr): EventSink {
  const paint = painter(colorEnabled(out));
  let state: RunState = initialState;
  let lastDraw = 0;
  let liveStage: string | null = null;

  const draw = (stage: StageState, force = false) => {
    const t = Date.now();
    if (!force && t - lastDraw < REDRAW_MS) return;
    lastDraw = t;
    const cols = out.columns ?? 80;
    out.write(`\r${fit(stageLine(state, stage, paint), cols)}\u001b[K`);
    liveStage = stage.id;
  };
  const endLine = () => {
    if (liveStage) out.write("\n");
    liveStage = null;
  };

  return {
    write(event) {
      state = reduce(state, event);
      const stage = state.stages.find((s) => s.id === event.stage);
      switch (event.type) {
        case "run_start":
          out.write(`${paint.bold(`trellis run ${event.run_id}`)} ${paint.dim(`(${event.stages.map((s) => `${s.id}:${s.trainer}`).join(" -> ")})`)}\n`);
          break;
        case "notice": {
          // Print the notice above the live line, then redraw it.
          out.write(`${liveStage ? "\r\u001b[K" : ""}${paint.yellow("notice")} ${event.message}\n`);
          const live = state.stages.find((s) => s.id === liveStage);
          if (live) draw(live, true);
          break;
        }
        case "stage_start":
          if (stage) draw(stage, true);
          break;
        case "metrics":
        case "train_begin":
          if (stage) draw(stage);
          break;
        case "stage_end":
          if (stage) draw(stage, true);
          endLine();
          break;
        case "run_end":
          endLine();
          out.write(`${summary(state, paint)}\n`);
          break;
        default:
      }
    },
  };
}

function stageLine(state: RunState, s: StageState, paint: ReturnType<typeof painter>): string {
  const n = state.stages.findIndex((x) => x.id === s.id) + 1;
  const total = s.maxSteps ?? 0;
  const elapsed = s.startedAt ? (s.endedAt ?? Date.now() / 1000) - s.startedAt : 0;
  const eta = s.step > 0 && total > s.step ? (elapsed / s.step) * (total - s.step) : NaN;
  const mark = s.status === "finished" ? paint.green("✓") : s.status === "failed" ? paint.red("✗") : s.status === "stopped" ? paint.yellow("■") : " ";
  const parts = [
    `${mark} [${n}/${state.stages.length} ${s.id}:${s.trainer}]`,
    `${bar(s.step, total, BAR_WIDTH)} ${s.step}/${total || "?"}`,
    s.epoch !== null ? `epoch ${s.epoch.toFixed(2)}` : "",
    s.metrics.loss !== undefined ? `loss ${metric(s.metrics.loss)}` : "",
    s.metrics["rewards/accuracies"] !== undefined ? `acc ${metric(s.metrics["rewards/accuracies"])}` : "",
    `${duration(elapsed)}${s.status === "running" ? ` eta ${duration(eta)}` : ""}`,
  ];
  return parts.filter(Boolean).join("  ");
}

/** The end-of-run report: status, reason, preference accuracy, where things are. */
export function runSummary(state: RunState, color: boolean): string {
  return summary(state, painter(color));
}

function summary(state: RunState, paint: ReturnType<typeof painter>): string {
  const pref = preferenceSummary(state);
  const head =
    state.status === "finished" ? paint.green(`✓ run ${state.runId} finished`) : state.status === "stopped" ? paint.yellow(`■ run ${state.runId} stopped`) : paint.red(`✗ run ${state.runId} failed`);
  const lines = [head];
  if (state.reason) lines.push(`  ${state.reason}`);
  if (pref.before !== null || pref.after !== null) {
    lines.push(`  held-out preference accuracy: ${pref.before?.toFixed(2) ?? "-"} before -> ${pref.after?.toFixed(2) ?? "-"} after`);
  }
  for (const s of state.stages) if (s.savedTo) lines.push(`  ${s.id} saved to ${s.savedTo}`);
  if (state.runDir) lines.push(paint.dim(`  events, logs and scripts: ${state.runDir}`));
  return lines.join("\n");
}

/** Cuts a line to the terminal width (escape codes included only approximately). */
function fit(line: string, cols: number): string {
  // eslint-disable-next-line no-control-regex
  const visible = line.replace(/\u001b\[[0-9;]*m/g, "");
  return visible.length <= cols - 1 ? line : visible.slice(0, cols - 2) + "…";
}
