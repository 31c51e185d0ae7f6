/**
 * The second half of `trellis run` (and of resume, reproduce, compare): a prepared run handed to
 * a supervisor in its own session, so closing the terminal or losing SSH does not stop training.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnDetached } from "../adapters/detached-process.js";
import { hasSupervisorFile, runFiles, supervisorLogTail } from "../adapters/run-dir.js";
import { heldLockFd, LOCK_FD_ENV, recordHolder, releaseRunLock } from "../adapters/run-lock.js";
import { readSupervisor, type PreparedRun } from "./prepared-run.js";

/** How long a detached supervisor may take to start listening. */
const SUPERVISOR_START_MS = 20_000;
const START_POLL_MS = 50;
/** The lines of supervisor.log quoted when it did not start. */
const LOG_TAIL_LINES = 5;

const SUPERVISOR_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "supervisor-main.js");

/**
 * Starts the supervisor in its own session and waits until it listens. The run folder's lock
 * (run-lock.ts) goes with it as fd 3: from then on the supervisor alone holds it.
 */
export async function startDetached(prepared: PreparedRun): Promise<{ url: string; token: string }> {
  const lockFd = heldLockFd(prepared.runDir);
  const child = spawnDetached(
    process.execPath,
    [SUPERVISOR_ENTRY, prepared.runDir],
    runFiles(prepared.runDir).supervisorLog,
    lockFd === undefined ? undefined : { fd: lockFd, env: { [LOCK_FD_ENV]: "3" } },
  );
  if (lockFd !== undefined && child.pid !== undefined) recordHolder(prepared.runDir, child.pid, "supervisor");
  try {
    const deadline = Date.now() + SUPERVISOR_START_MS;
    while (Date.now() < deadline) {
      const info = readSupervisor(prepared.runDir);
      if (info) return { url: info.url, token: info.token };
      if (child.exited() && !hasSupervisorFile(prepared.runDir)) break;
      await new Promise((r) => setTimeout(r, START_POLL_MS));
    }
  } finally {
    releaseRunLock(prepared.runDir); // the supervisor's copy holds it (if it started)
  }
  const tail = supervisorLogTail(prepared.runDir, LOG_TAIL_LINES);
  throw new Error(`the supervisor did not start${tail ? `:\n${tail}` : ""}`);
}
