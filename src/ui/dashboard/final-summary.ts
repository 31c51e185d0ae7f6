/**
 * The report printed into the scrollback once the dashboard is gone: how the run ended, each
 * stage's result and final metrics, preference accuracy before and after, where the outputs
 * are, the alerts seen. Plain text; colour codes only when asked for.
 */
import type { DashboardState } from "../../core/run/dashboard-state.js";
import { preferenceSummary, stageSeconds } from "../../core/run/state.js";
import { formatAlert } from "./health-line.js";
import { metric } from "../format.js";
import { clock } from "../../core/clock.js";
import { rate } from "./numbers.js";
import { painter, SYMBOLS, type Theme } from "./theme.js";
import { wrapWords } from "./text.js";
import { makePanelContext } from "./panel-context.js";

/** Final metrics worth a line, per trainer, with short labels. */
const FINAL_METRICS: Record<string, Array<[string, string]>> = {
  sft: [
    ["loss", "loss"],
    ["mean_token_accuracy", "token acc"],
  ],
  dpo: [
    ["loss", "loss"],
    ["rewards/accuracies", "acc"],
    ["rewards/margins", "margins"],
  ],
  orpo: [
    ["loss", "loss"],
    ["nll_loss", "nll"],
    ["rewards/accuracies", "acc"],
    ["log_odds_ratio", "log odds ratio"],
  ],
  kto: [
    ["loss", "loss"],
    ["rewards/chosen", "desirable reward"],
    ["rewards/rejected", "undesirable reward"],
    ["kl", "kl"],
  ],
  cpo: [
    ["loss", "loss"],
    ["nll_loss", "nll"],
    ["rewards/accuracies", "acc"],
    ["rewards/margins", "margins"],
  ],
  simpo: [
    ["loss", "loss"],
    ["rewards/accuracies", "acc"],
    ["rewards/margins", "margins"],
  ],
};
/** Alerts listed in full; the rest are counted. */
const ALERTS_LISTED = 5;

export interface FinalSummaryOptions {
  color?: boolean;
  glyphs?: Theme["glyphs"];
  /** Wrap at word boundaries to this width (the terminal's); unwrapped when left out. */
  columns?: number;
}

export function finalSummary(state: DashboardState, options: FinalSummaryOptions = {}): string {
  const theme: Theme = { color: options.color ?? false, glyphs: options.glyphs ?? "braille" };
  const paint = painter(theme);
  const sym = SYMBOLS[theme.glyphs];
  const run = state.run;
  const took =
    state.startedAt !== null && state.endedAt !== null ? ` in ${clock(state.endedAt - state.startedAt)}` : "";
  const id = run.runId ?? "?";
  const head =
    run.status === "finished"
      ? paint.green(`${sym.ok} run ${id} finished${took}`)
      : run.status === "stopped"
        ? paint.yellow(`${sym.stopped} run ${id} stopped${took}`)
        : run.status === "failed"
          ? paint.red(`${sym.error} run ${id} failed${took}`)
          : `${sym.running} run ${id} ${run.status}`;
  const lines = [head];
  if (run.reason) lines.push(`  ${run.reason}`);
  if (run.error && !run.reason?.includes(run.error.message))
    lines.push(`  ${run.error.stage}: ${run.error.excType}: ${run.error.message.split("\n")[0]}`);

  run.stages.forEach((s, i) => {
    const d = state.stages[s.id];
    const mark =
      s.status === "finished"
        ? paint.green(sym.ok)
        : s.status === "failed"
          ? paint.red(sym.error)
          : s.status === "stopped"
            ? paint.yellow(sym.stopped)
            : paint.dim(sym.pending);
    const steps = s.maxSteps !== null ? `${s.step}/${s.maxSteps} steps` : s.step > 0 ? `${s.step} steps` : "";
    const time = s.startedAt !== null && s.endedAt !== null ? clock(stageSeconds(s, s.endedAt)) : "";
    const metrics = (FINAL_METRICS[s.trainer] ?? [["loss", "loss"]])
      .filter(([k]) => s.metrics[k] !== undefined)
      .map(([k, label]) => `${label} ${metric(s.metrics[k])}`);
    const evalLoss = d?.evalLatest.eval_loss;
    if (evalLoss !== undefined) metrics.push(`eval loss ${metric(evalLoss)}`);
    const samples = rate(d?.samplesPerSec);
    const pref =
      s.preferenceBefore !== null || s.preferenceAfter !== null
        ? `pref acc ${s.preferenceBefore?.toFixed(2) ?? "-"} ${sym.arrow} ${s.preferenceAfter?.toFixed(2) ?? "-"}`
        : "";
    const facts = [s.status, steps, time, ...metrics, pref, samples ? `${samples} samples/s` : ""]
      .filter(Boolean)
      .join("  ");
    const name = s.id === s.trainer ? s.id : `${s.id} (${s.trainer})`;
    lines.push(`  ${mark} ${i + 1}/${run.stages.length} ${name}  ${facts}`);
    if (s.savedTo) lines.push(`      saved to ${s.savedTo}`);
    else if (s.lastCheckpoint) lines.push(`      last checkpoint ${s.lastCheckpoint}`);
    if (s.mergedTo) lines.push(`      merged model in ${s.mergedTo}`);
  });

  const pref = preferenceSummary(run);
  if (pref.before !== null || pref.after !== null) {
    lines.push(
      `  held-out preference accuracy: ${pref.before?.toFixed(2) ?? "-"} ${sym.arrow} ${pref.after?.toFixed(2) ?? "-"}`,
    );
  }
  const { warn, error } = state.alertCount;
  if (warn + error > 0) {
    const counts = [
      error ? `${error} error${error > 1 ? "s" : ""}` : "",
      warn ? `${warn} warning${warn > 1 ? "s" : ""}` : "",
    ]
      .filter(Boolean)
      .join(", ");
    lines.push(`  alerts: ${counts}`);
    const v = makePanelContext(state, state.lastTime ?? 0, 1000, theme);
    for (const a of state.alerts.slice(-ALERTS_LISTED)) lines.push(`    ${formatAlert(a, v)}`);
    if (state.alerts.length > ALERTS_LISTED)
      lines.push(`    ${state.alerts.length - ALERTS_LISTED} more in the dashboard's alert list`);
  } else if (run.stages.some((s) => s.step > 0)) lines.push(`  health: no alerts`);
  const resumable = run.stages.find((s) => (s.status === "stopped" || s.status === "failed") && s.lastCheckpoint);
  if ((run.status === "stopped" || run.status === "failed") && resumable)
    lines.push(`  continue from ${resumable.id}'s checkpoint with: trellis resume ${id}`);
  if (run.runDir) lines.push(paint.dim(`  events, logs and scripts: ${run.runDir}`));
  const columns = options.columns;
  return (columns && columns > 20 ? lines.flatMap((l) => wrapWords(l, columns, "      ")) : lines).join("\n");
}
