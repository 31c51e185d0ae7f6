/**
 * A viewer's watch on a live run's supervisor: when the supervisor's pid exists but it stops
 * beating (src/adapters/supervisor-beat.ts), its socket goes quiet rather than closing, so the
 * view is told in words ("supervisor not responding"), and again when it comes back.
 */
import type { RunEvent } from "../core/events/protocol.js";
import { SUPERVISOR_BEAT_S, SUPERVISOR_SILENT_S, supervisorBeatAge } from "../adapters/supervisor-beat.js";
import { readSupervisor } from "./prepared-run.js";

const SUPERVISOR_SILENT_CODE = "supervisor_not_responding";
const SUPERVISOR_BACK_CODE = "supervisor_responding";

/** A viewer's own notice: not from the run, so it has no sequence number of its own (0). */
const viewerNotice = (code: string, message: string): RunEvent => ({
  type: "notice",
  time: Date.now() / 1000,
  stage: null,
  code,
  message,
  seq: 0,
});

/** Watches until the returned function is called; `say` gets a notice at each change. */
export function watchSupervisorBeat(runDir: string, say: (e: RunEvent) => void): () => void {
  let silent = false;
  const look = () => {
    const age = supervisorBeatAge(runDir);
    const pid = readSupervisor(runDir)?.pid;
    const now = age !== null && age > SUPERVISOR_SILENT_S && pid !== undefined;
    if (now && !silent)
      say(
        viewerNotice(
          SUPERVISOR_SILENT_CODE,
          `supervisor not responding (pid ${pid} exists, no beat for ${Math.round(age)} s): it is stopped or frozen, and training waits on it; kill -CONT ${pid} if it was stopped`,
        ),
      );
    else if (!now && silent) say(viewerNotice(SUPERVISOR_BACK_CODE, "supervisor responding again"));
    silent = now;
  };
  look();
  const timer = setInterval(look, SUPERVISOR_BEAT_S * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
