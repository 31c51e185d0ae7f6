/** `--json` and non-TTY output: every event as one JSON line on stdout (control characters escaped). */
import type { EventSink } from "../app/event-bus.js";
import { jsonLine } from "./shown-event.js";

export function jsonLinesSink(out: NodeJS.WritableStream = process.stdout): EventSink {
  return { write: (event) => void out.write(`${jsonLine(event)}\n`) };
}
