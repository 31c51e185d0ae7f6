/** The orchestrator's own log: pino, to a file (stdout belongs to the user and the dashboard). */
import { pino, type Logger } from "pino";

export function fileLogger(file: string): Logger {
  return pino(
    { level: process.env.TRELLIS_LOG_LEVEL ?? "debug" },
    pino.destination({ dest: file, mkdir: true, sync: true }),
  );
}

/** For commands that run before a run directory exists. */
export const silentLogger: Logger = pino({ level: "silent" });
