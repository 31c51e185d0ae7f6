/**
 * The plain view (`--plain`, or no TTY for keys): one progress line per stage, then a summary.
 * On a terminal the line is redrawn in place a few times a second; piped (nohup, Slurm logs) it
 * is printed as whole lines now and then, with no carriage returns or colour. Notices, phases
 * and health alerts are printed as they happen, above the live line.
 *
 * A run's history can contain an earlier end: a resumed run replays its stop first. That end is
 * printed as history once a `run_resumed` follows it, and the summary waits for the last end.
 * After several resumes the replay marks each earlier attempt's events (`meta.history`): their
 * lines, failures included, are printed as `earlier attempt` (`history` under `trellis resume`),
 * never as what happens now.
 */
import { CTRL_C_SAYS, detachedLine, type RunView, type ViewResult } from "../app/attach.js";
import type { Alert } from "../core/health/alert.js";
import { initialDashboardState, reduceDashboard, type DashboardState } from "../core/run/dashboard-state.js";
import { preferenceSummary, stageSeconds, type RunState, type StageState } from "../core/run/state.js";
import { clock } from "../core/clock.js";
import { bar, colorEnabled, metric, painter } from "./format.js";
import { shownEvent } from "./shown-event.js";
import { sanitise } from "../core/text/sanitise.js";

/** Redraws per second on a terminal: enough to look live, few enough to cost nothing. */
const REDRAW_MS = 200;
/** Piped, a progress line every tenth of the stage, or this often, whichever comes first. */
const PIPED_EVERY_MS = 60_000;
const PIPED_FRACTION = 0.1;
const BAR_WIDTH = 20;

type Paint = ReturnType<typeof painter>;

export interface PlainOptions {
  /** Redraw in place (a terminal) or print whole lines (a pipe or file). Default: out.isTTY. */
  live?: boolean;
  color?: boolean;
  /** For `trellis resume`: what comes before the `run_resumed` event is marked as history. */
  resuming?: boolean;
}

export function progressLineView(out: NodeJS.WriteStream = process.stderr, o: PlainOptions = {}): RunView {
  const live = o.live ?? Boolean(out.isTTY);
  const color = o.color ?? (live && colorEnabled(out));
  const paint = painter(color);
  let state: DashboardState = initialDashboardState();
  let lastDraw = 0;
  let liveStage: string | null = null;
  let pendingEnd = false;
  let history = o.resuming ?? false;
  let earlier = false; // the event being shown belongs to an earlier attempt
  const printedAt = new Map<string, { time: number; fraction: number }>();

  /** A whole line, above the live one (which is redrawn after). */
  const say = (text: string) => {
    // `trellis resume` has always called what it replays history; attach names the earlier attempts.
    const prefix = earlier || history ? paint.dim(o.resuming ? "history " : "earlier attempt ") : "";
    out.write(`${liveStage && live ? "\r\u001b[K" : ""}${prefix}${text}\n`);
    if (live && liveStage) {
      const s = state.run.stages.find((x) => x.id === liveStage);
      if (s) drawLive(s);
    }
  };
  const drawLive = (s: StageState) => {
    out.write(
      `\r${fit(stageLine(state.run, s, paint, state.lastTime ?? Date.now() / 1000), out.columns ?? 80)}\u001b[K`,
    );
    liveStage = s.id;
  };
  const progress = (s: StageState, force = false) => {
    const t = Date.now();
    // An earlier attempt's progress is printed as a line of history, never drawn as the live line.
    if (live && !earlier) {
      if (!force && t - lastDraw < REDRAW_MS) return;
      lastDraw = t;
      return drawLive(s);
    }
    const fraction = s.maxSteps ? s.step / s.maxSteps : 0;
    const last = printedAt.get(s.id);
    if (!force && last && fraction - last.fraction < PIPED_FRACTION && t - last.time < PIPED_EVERY_MS) return;
    printedAt.set(s.id, { time: t, fraction });
    say(stageLine(state.run, s, paint, state.lastTime ?? Date.now() / 1000));
  };
  const endLine = () => {
    if (liveStage && live) out.write("\n");
    liveStage = null;
  };
  const flushEnd = () => {
    if (!pendingEnd) return;
    pendingEnd = false;
    endLine();
    out.write(`${runSummary(state, color)}\n`);
  };

  return {
    notice(text) {
      say(`${paint.yellow("notice")} ${sanitise(text)}`);
    },
    write(raw, meta) {
      const event = shownEvent(raw);
      earlier = meta?.history === true;
      const before = state.alerts.length;
      const prev = state;
      state = reduceDashboard(state, event);
      if (pendingEnd && event.type !== "run_resumed") flushEnd();
      const stage = state.run.stages.find((s) => s.id === event.stage);
      switch (event.type) {
        case "run_start":
          say(
            `${paint.bold(`trellis run ${event.run_id}`)} ${paint.dim(`(${event.stages.map((s) => `${s.id}:${s.trainer}`).join(" -> ")})`)}`,
          );
          break;
        case "notice":
          say(`${paint.yellow("notice")} ${event.message}`);
          break;
        case "phase":
          if (stage && event.phase !== "training" && !live)
            say(`  ${stage.id}: ${event.phase.replace("_", " ")}${event.total ? ` (${event.total} pairs)` : ""}`);
          if (stage && live) progress(stage, true);
          break;
        case "stage_start":
          if (stage) progress(stage, true);
          break;
        case "metrics":
        case "train_begin":
          if (stage) progress(stage);
          break;
        case "stage_end":
          if (stage) progress(stage, true);
          endLine();
          break;
        case "run_end":
          pendingEnd = true;
          break;
        case "run_resumed": {
          if (pendingEnd) {
            pendingEnd = false;
            endLine();
            const s = prev.run.stages.find((x) => x.id === event.stage);
            // The end of the attempt before this one: history, whichever attempt this is.
            if (meta) earlier = true;
            say(`${paint.dim(`run ${prev.run.runId} ${prev.run.status}${s ? ` in ${s.id} at step ${s.step}` : ""}`)}`);
            earlier = meta?.history === true;
          }
          history = false;
          say(`${paint.bold("resumed")} ${event.stage} from ${event.checkpoint ?? "the start (no checkpoint)"}`);
          break;
        }
        default:
      }
      for (const a of state.alerts.slice(before)) say(alertText(a, paint));
    },
    interrupted: (what) => say(paint.yellow(CTRL_C_SAYS[what])),
    close(result: ViewResult) {
      if (result.kind === "ended") {
        pendingEnd = true;
        flushEnd();
        return;
      }
      endLine();
      if (result.kind === "detached") out.write(`${detachedLine(state.run.runId ?? undefined)}\n`);
      else
        out.write(
          `lost contact with the run's supervisor; see ${state.run.runDir ?? "the run directory"}/supervisor.log\n`,
        );
    },
  };
}

function alertText(a: Alert, paint: Paint): string {
  const mark = a.severity === "error" ? paint.red("✗ alert") : paint.yellow("⚠ alert");
  return `${mark} ${[a.stage, a.step !== null ? `@${a.step}` : ""].filter(Boolean).join(" ")} ${a.message}`;
}

/** `now` is the newest event's time: the wall clock live, the recording's clock in a replay. */
function stageLine(run: RunState, s: StageState, paint: Paint, now: number): string {
  const n = run.stages.findIndex((x) => x.id === s.id) + 1;
  const total = s.maxSteps ?? 0;
  const elapsed = stageSeconds(s, now) ?? 0;
  const eta = s.step > 0 && total > s.step ? (elapsed / s.step) * (total - s.step) : NaN;
  const mark =
    s.status === "finished"
      ? paint.green("✓")
      : s.status === "failed"
        ? paint.red("✗")
        : s.status === "stopped"
          ? paint.yellow("■")
          : " ";
  const training = s.step > 0 || s.phase === "training";
  const parts = [
    `${mark} [${n}/${run.stages.length} ${s.id}:${s.trainer}]`,
    training || s.status !== "running"
      ? `${bar(s.step, total, BAR_WIDTH)} ${s.step}/${total || "?"}`
      : `${(s.phase ?? "environment").replace("_", " ")}…`,
    s.epoch !== null ? `epoch ${s.epoch.toFixed(2)}` : "",
    s.metrics.loss !== undefined ? `loss ${metric(s.metrics.loss)}` : "",
    s.metrics["rewards/accuracies"] !== undefined ? `acc ${metric(s.metrics["rewards/accuracies"])}` : "",
    `${clock(elapsed)}${s.status === "running" && total > s.step ? ` eta ${clock(eta)}` : ""}`,
  ];
  return parts.filter(Boolean).join("  ");
}

/** The end-of-run report: status, reason, preference accuracy per stage, alerts, where things are. */
export function runSummary(state: DashboardState, color: boolean): string {
  return summary(state, painter(color));
}

function summary(dash: DashboardState, paint: Paint): string {
  const state = dash.run;
  const pref = preferenceSummary(state);
  const head =
    state.status === "finished"
      ? paint.green(`✓ run ${state.runId} finished`)
      : state.status === "stopped"
        ? paint.yellow(`■ run ${state.runId} stopped`)
        : paint.red(`✗ run ${state.runId} failed`);
  const lines = [head];
  if (state.reason) lines.push(`  ${state.reason}`);
  if (pref.before !== null || pref.after !== null) {
    lines.push(
      `  held-out preference accuracy: ${pref.before?.toFixed(2) ?? "-"} before -> ${pref.after?.toFixed(2) ?? "-"} after`,
    );
  }
  const measured = state.stages.filter((s) => s.preferenceBefore !== null || s.preferenceAfter !== null);
  if (measured.length > 1)
    for (const s of measured)
      lines.push(`    ${s.id}: ${s.preferenceBefore?.toFixed(2) ?? "-"} -> ${s.preferenceAfter?.toFixed(2) ?? "-"}`);
  for (const s of state.stages) {
    if (s.savedTo) lines.push(`  ${s.id} saved to ${s.savedTo}`);
    if (s.mergedTo) lines.push(`  ${s.id} merged model (adapter merged into its base) in ${s.mergedTo}`);
  }
  const resumable = state.stages.find((s) => (s.status === "stopped" || s.status === "failed") && s.lastCheckpoint);
  if (resumable && state.status !== "finished") {
    lines.push(`  ${resumable.id}: last checkpoint ${resumable.lastCheckpoint}`);
    lines.push(`  continue with: trellis resume ${state.runId}`);
  }
  const { warn, error } = dash.alertCount;
  if (warn + error > 0) {
    lines.push(
      `  alerts: ${[error ? `${error} error${error > 1 ? "s" : ""}` : "", warn ? `${warn} warning${warn > 1 ? "s" : ""}` : ""].filter(Boolean).join(", ")}`,
    );
    for (const a of dash.alerts.slice(-5)) lines.push(`    ${alertText(a, paint)}`);
  } else if (state.stages.some((s) => s.step > 0)) lines.push("  health: no alerts");
  if (state.runDir) lines.push(paint.dim(`  events, logs and scripts: ${state.runDir}`));
  return lines.join("\n");
}

/** Cuts a line to the terminal width (escape codes included only approximately). */
function fit(line: string, cols: number): string {
  const visible = line.replace(/\u001b\[[0-9;]*m/g, "");
  return visible.length <= cols - 1 ? line : visible.slice(0, cols - 2) + "…";
}
