/** `--json` and non-TTY output: every event as one JSON line on stdout (control characters escaped). */
import type { EventSink } from "../app/event-bus.js";
import { eventLine } from "./shown-event.js";

export function jsonLinesSink(out: NodeJS.WritableStream = process.stdout): EventSink {
  return { write: (event) => void out.write(`${eventLine(event)}\n`) };
}
