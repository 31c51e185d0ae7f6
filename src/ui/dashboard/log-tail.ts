/** The last lines the trainer printed (the full output is in the run's log files). */
import { fit } from "./text.js";
import type { PanelContext } from "./panel-context.js";

export function logLines(v: PanelContext, rows: number): string[] {
  if (rows <= 0) return [];
  const { paint, sym } = v;
  // On a chosen stage's tab, that stage's lines; following the run, everyone's.
  const stage = v.settings.stageTab !== null ? v.shown?.stage.id : undefined;
  const lines = stage
    ? v.state.output
        .last()
        .filter((l) => l.stage === stage)
        .slice(-rows)
    : v.state.output.last(rows);
  return lines.map((l, i) => {
    const prefix = paint.dim(`${i === 0 ? "log" : "   "} ${sym.box.v} `);
    const text = l.stream === "stderr" ? paint.yellow(l.text) : l.text;
    return fit(prefix + text, v.width, sym.ellipsis);
  });
}
