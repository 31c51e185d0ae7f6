/** The plain views of a run: JSON lines (scripts, --json) and the progress line (--plain). */
import { CTRL_C_SAYS, detachedLine, type RunView, type ViewResult } from "../app/attach.js";
import { initialDashboardState, reduceDashboard, type DashboardState } from "../core/run/dashboard-state.js";
import { finalSummary } from "./dashboard/final-summary.js";
import { colorEnabled } from "./format.js";
import { jsonLinesSink } from "./json-lines.js";
import { progressLineView, runSummary, type PlainOptions } from "./progress-line.js";
import { shownEvent } from "./shown-event.js";

/** Every event as a JSON line on stdout; the summary on stderr at the end. */
export function jsonView(out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): RunView {
  const sink = jsonLinesSink(out);
  let state: DashboardState = initialDashboardState();
  return {
    write(e) {
      state = reduceDashboard(state, shownEvent(e));
      sink.write(e);
    },
    interrupted: (what) => void err.write(`${CTRL_C_SAYS[what]}\n`),
    close: (result) => closingLine(state, result, err),
  };
}

/** The progress line prints its own summary and closing words. */
export function progressView(err: NodeJS.WriteStream = process.stderr, options: PlainOptions = {}): RunView {
  return progressLineView(err, options);
}

function closingLine(state: DashboardState, result: ViewResult, err: NodeJS.WriteStream): void {
  if (result.kind === "ended") err.write(`${runSummary(state, colorEnabled(err))}\n`);
  else if (result.kind === "detached") err.write(`${detachedLine(state.run.runId ?? undefined)}\n`);
  else
    err.write(
      `lost contact with the run's supervisor; see ${state.run.runDir ?? "the run directory"}/supervisor.log\n`,
    );
}

/** Shows nothing (the caller reports the outcome itself). */
export function quietView(): RunView {
  return { write: () => {}, close: () => {} };
}

/** `attach --summary`: the final summary text of a finished run, no dashboard. */
export function summaryView(out: NodeJS.WriteStream = process.stdout): RunView {
  let state: DashboardState = initialDashboardState();
  return {
    write: (e) => void (state = reduceDashboard(state, shownEvent(e))),
    close: () =>
      void out.write(
        `${finalSummary(state, { color: colorEnabled(out), columns: out.isTTY ? out.columns : undefined })}\n`,
      ),
  };
}
