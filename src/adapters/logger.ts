/** The orchestrator's own log: pino, to a file (stdout belongs to the user and the dashboard). */
import { pino, type Logger } from "pino";

export function fileLogger(file: string): Logger {
  const destination = pino.destination({ dest: file, mkdir: true, sync: true });
  // A log line the disk has no room for is lost, not thrown into the supervisor (which records the full disk).
  destination.on("error", () => {});
  return pino({ level: process.env.TRELLIS_LOG_LEVEL ?? "debug" }, destination);
}
