/**
 * The supervisor's heartbeat in its run folder: `supervisor.beat` holds the time of its latest
 * beat, rewritten every few seconds from its event loop. A viewer that finds the supervisor's
 * pid alive but its beat old knows it is stopped (SIGSTOP) or frozen, and says so, instead of
 * waiting on a socket that never answers.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const SUPERVISOR_BEAT_FILE = "supervisor.beat";
/** Seconds between beats. */
export const SUPERVISOR_BEAT_S = 2;
/** A beat this old means the supervisor is not responding: five beats missed, not a busy moment. */
export const SUPERVISOR_SILENT_S = 10;

const beatFile = (runDir: string) => path.join(runDir, SUPERVISOR_BEAT_FILE);

/** Beats until the returned function is called (which removes the file: the run is over). */
export function beatSupervisor(runDir: string): () => void {
  const beat = () => {
    try {
      writeFileSync(beatFile(runDir), `${Date.now() / 1000}\n`);
    } catch {
      // A full disk or a vanished folder: the beat is advice for viewers, never a reason to stop.
    }
  };
  beat();
  const timer = setInterval(beat, SUPERVISOR_BEAT_S * 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    rmSync(beatFile(runDir), { force: true });
  };
}

/** Seconds since the supervisor's last beat; null when it never beat (an older trellis) or the file is unreadable. */
export function supervisorBeatAge(runDir: string, now = Date.now() / 1000): number | null {
  try {
    const at = Number(readFileSync(beatFile(runDir), "utf8").trim());
    return Number.isFinite(at) ? Math.max(0, now - at) : null;
  } catch {
    return null;
  }
}
