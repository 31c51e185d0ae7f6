/** The plain views of a run: JSON lines (scripts, no TTY) and the progress line (a TTY). */
import type { RunView, ViewResult } from "../app/attach.js";
import type { EventSink } from "../app/event-bus.js";
import { initialState, reduce, type RunState } from "../core/run/state.js";
import { colorEnabled } from "./format.js";
import { jsonLinesSink } from "./json-lines.js";
import { progressLineSink, runSummary } from "./progress-line.js";

/** A view that hands each event to `sink` and keeps the run's state for its closing words. */
function foldingView(sink: EventSink, close: (state: RunState, result: ViewResult) => void): RunView {
  let state: RunState = initialState;
  return {
    write(e) {
      state = reduce(state, e);
      sink.write(e);
    },
    close: (result) => close(state, result),
  };
}

/** Every event as a JSON line on stdout; the summary on stderr at the end. */
export function jsonView(out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): RunView {
  return foldingView(jsonLinesSink(out), (state, result) => closingLine(state, result, err));
}

/** The progress line prints its own summary when the run ends; other endings are said here. */
export function progressView(err: NodeJS.WriteStream = process.stderr): RunView {
  return foldingView(progressLineSink(err), (state, result) => {
    if (result.kind !== "ended") closingLine(state, result, err);
  });
}

function closingLine(state: RunState, result: ViewResult, err: NodeJS.WriteStream): void {
  if (result.kind === "ended") err.write(`${runSummary(state, colorEnabled(err))}\n`);
  else if (result.kind === "detached") err.write(`detached: the run goes on. Reattach with: trellis attach ${state.runId ?? ""}\n`);
  else err.write(`lost contact with the run's supervisor; see ${state.runDir ?? "the run directory"}/supervisor.log\n`);
}

/** Shows nothing (the caller reports the outcome itself). */
export function quietView(): RunView {
  return { write: () => {}, close: () => {} };
}
