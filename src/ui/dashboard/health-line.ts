/**
 * The health line under the header: one glyph and word per rule family, so it reads without
 * colour (✓ finite ✓ learn ⚠ grad), then the newest alert in full on the next line.
 */
import { ALERT_FAMILY, familiesFor, severityRank, type Alert, type Severity } from "../../core/health/alert.js";
import { currentStage } from "../../core/run/progress.js";
import { fit, joinFit, spread } from "./text.js";
import type { PanelContext } from "./panel-context.js";

export function healthLine(v: PanelContext): string {
  const { state, paint, sym } = v;
  const cur = currentStage(state);
  const stageId = cur?.stage.id ?? null;
  const worst = new Map<string, Severity>();
  for (const a of state.alerts) {
    if (a.stage !== null && a.stage !== stageId) continue;
    const f = ALERT_FAMILY[a.id];
    if (severityRank(a.severity) > severityRank(worst.get(f))) worst.set(f, a.severity);
  }
  const tokens = familiesFor(cur?.stage.trainer, state.gpu.latest.length > 0).map((f) => {
    const s = worst.get(f);
    return s === "error"
      ? paint.red(`${sym.error} ${f}`)
      : s === "warn"
        ? paint.yellow(`${sym.warn} ${f}`)
        : `${paint.green(sym.ok)} ${f}`;
  });
  const { warn, error } = state.alertCount;
  const count =
    warn + error > 0
      ? `alerts ${error > 0 ? paint.red(`${error}${sym.error}`) + " " : ""}${warn > 0 ? paint.yellow(`${warn}${sym.warn}`) : ""}`.trimEnd()
      : paint.dim("no alerts");
  return spread(joinFit([paint.dim("health"), ...tokens], " ", v.width), count, v.width);
}

/** The newest alert, or an error the run reported, in one line. */
export function alertLine(v: PanelContext): string | null {
  const { state, paint, sym } = v;
  const err = state.run.error;
  if (err) return fit(paint.red(`${sym.error} ${err.stage}: ${err.excType}: ${err.message.split("\n")[0]}`), v.width);
  const a = state.alerts.at(-1);
  return a ? fit(formatAlert(a, v), v.width) : null;
}

export function formatAlert(a: Alert, v: PanelContext): string {
  const { paint, sym } = v;
  const mark = a.severity === "error" ? paint.red(sym.error) : paint.yellow(sym.warn);
  const where = [a.stage, a.step !== null ? `@${a.step}` : ""].filter(Boolean).join(" ");
  return `${mark} ${where ? paint.dim(where) + " " : ""}${a.message}`;
}
