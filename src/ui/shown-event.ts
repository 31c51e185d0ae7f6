/**
 * An event as the terminal views fold and show it: every string in it through the one
 * sanitiser (core/text/sanitise.ts), so a model name, a column, a path or an error message from
 * a recipe or data file never reaches the terminal as an escape sequence. A trainer's printed
 * line is terminal output of its own: its styling is dropped first (cleanLine, as the log tail
 * always did), then what is left is sanitised.
 */
import { encodeEvent, type RunEvent } from "../core/events/protocol.js";
import { cleanLine } from "../core/run/dashboard-state.js";
import { sanitiseDeep, terminalSafeJson } from "../core/text/sanitise.js";

export function shownEvent(event: RunEvent): RunEvent {
  return sanitiseDeep(event.type === "output" ? { ...event, line: cleanLine(event.line) } : event);
}

/** An event as one JSON line for a terminal or a pipe: the wire form (core/events/protocol.ts), no raw control character. */
export function eventLine(event: RunEvent): string {
  return terminalSafeJson(encodeEvent(event));
}

/** A value as one JSON line for a terminal or a pipe: the same JSON, no raw control character. */
export function jsonLine(value: unknown): string {
  return terminalSafeJson(JSON.stringify(value));
}
