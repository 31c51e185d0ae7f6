/**
 * The key hint bar on the last line; while a stop waits for its `y`, the question instead; while
 * the filter is typed, the filter. Settings that change what the charts mean (smoothing, log-Y,
 * another x axis, a time window, a filter) are named first, so a screen never misleads.
 */
import { SMOOTHING_LEVELS } from "../../core/chart/derive.js";
import { KEYS, keyLabel } from "./keys.js";
import { fit, joinFit } from "./text.js";
import type { PanelContext } from "./panel-context.js";

export type Prompt = "none" | "confirm-stop" | "stop-sent" | "kill-sent" | "checkpoint-sent";

export function footerLine(v: PanelContext, prompt: Prompt, review = false): string {
  const { paint, settings: s } = v;
  if (prompt === "confirm-stop")
    return fit(
      paint.inverse(paint.yellow(" Stop training? A checkpoint is saved first. y: stop  any other key: cancel ")),
      v.width,
    );
  if (s.editingFilter)
    return fit(` ${paint.bold("/")} ${s.filter}${paint.inverse(" ")}  ${paint.dim("enter keep  esc clear")}`, v.width);
  const ended = v.state.run.status !== "running" && v.state.run.status !== "pending";
  const hints = KEYS.filter(
    (k) =>
      !k.helpOnly &&
      !(ended && (k.action === "stop" || k.action === "checkpoint")) &&
      !(k.action === "generations" && !v.state.generations.length),
  ).map((k) => `${paint.bold(keyLabel(k.keys[0]!))} ${k.action === "detach" && ended ? "exit" : k.hint}`);
  const ema = SMOOTHING_LEVELS[s.smoothing] ?? 0;
  const modes = [
    review ? paint.cyan("review") : "",
    s.filter ? paint.yellow(`/${s.filter}`) : "",
    ema > 0 ? paint.yellow(`ema ${ema}`) : "",
    s.logY ? paint.yellow("log-y") : "",
    s.xAxis !== "step" ? paint.yellow(`x ${s.xAxis}`) : "",
    s.timeZoom > 1 ? paint.yellow(`time x${s.timeZoom}`) : "",
  ].filter(Boolean);
  const note =
    prompt === "stop-sent"
      ? paint.yellow("stopping: a checkpoint, then stop (^C again kills)")
      : prompt === "kill-sent"
        ? paint.yellow("killing the trainer's processes")
        : prompt === "checkpoint-sent"
          ? paint.cyan("checkpoint requested")
          : "";
  return joinFit(
    [` ${[note, ...modes].filter(Boolean).join(" ")}`.trimEnd(), ...hints]
      .filter((h) => h.trim())
      .map((h, i) => (i === 0 && !h.startsWith(" ") ? ` ${h}` : h)),
    "  ",
    v.width,
  );
}
