/** The key hint bar on the last line; while a stop waits for its `y`, the question instead. */
import { KEYS } from "./keys.js";
import { fit, joinFit } from "./text.js";
import type { View } from "./view.js";

export type Prompt = "none" | "confirm-stop" | "stop-sent" | "checkpoint-sent";

export function footerLine(v: View, prompt: Prompt): string {
  const { paint } = v;
  if (prompt === "confirm-stop") return fit(paint.inverse(paint.yellow(" Stop training? A checkpoint is saved first. y: stop  any other key: cancel ")), v.width);
  const ended = v.state.run.status !== "running" && v.state.run.status !== "pending";
  const hints = KEYS.filter((k) => k.action !== "close" && !(ended && (k.action === "stop" || k.action === "checkpoint"))).map(
    (k) => `${paint.bold(k.keys[0]!)} ${k.action === "detach" && ended ? "exit" : k.hint}`,
  );
  const note = prompt === "stop-sent" ? paint.yellow("stop requested") : prompt === "checkpoint-sent" ? paint.cyan("checkpoint requested") : "";
  return joinFit([note ? ` ${note}` : "", ...hints].filter(Boolean).map((h, i) => (i === 0 && !note ? ` ${h}` : h)), "  ", v.width);
}
