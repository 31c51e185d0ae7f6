/** `--json` and non-TTY output: every event as one JSON line on stdout. */
import type { EventSink } from "../app/event-bus.js";

export function jsonLinesSink(out: NodeJS.WritableStream = process.stdout): EventSink {
  return { write: (event) => void out.write(`${JSON.stringify(event)}\n`) };
}
