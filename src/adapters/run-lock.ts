/**
 * One process tree at a time in a run folder: `trellis run` and `trellis resume` take an exclusive
 * flock(2) on runs/<id>/run.lock before they write anything, and the supervisor holds it for its
 * whole life. The kernel releases a flock when the last descriptor of it closes, so a holder that
 * dies (kill -9, OOM, a reboot) never leaves a stale lock, and no pid is ever guessed at.
 *
 * Node has no flock: a short Python (the run's interpreter, `-I -S`, a few ms) locks the file
 * through its stdin, which is our descriptor; the lock belongs to that open file description, so
 * it stays ours after Python exits. The descriptor is then handed to the detached supervisor as
 * fd 3 (start-detached.ts), which holds it until it exits (a plain stage's trainer gets other
 * pipes at fd 3 and 4, so it does not; a trainer orphaned by a supervisor killed with -9 dies at
 * its next event, on the broken pipe). run.lock's text says who took it, for the message a second
 * `trellis resume` prints; the lock is the flock, never the text.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { RUNTIME_DIR } from "./package-files.js";

const LOCK_FILE = "run.lock";
/** What the helper exits with when another process holds the lock (sysexits' EX_TEMPFAIL). */
const HELD = 75;
/** The helper: python/trellis_runtime/probes/flock.py, run as a file (`-I` reads no PYTHONPATH). */
const FLOCK = path.join(RUNTIME_DIR, "probes", "flock.py");
/** Set in a detached supervisor: the inherited descriptor of its run's lock. */
export const LOCK_FD_ENV = "TRELLIS_RUN_LOCK_FD";

interface LockHolder {
  pid: number;
  since: string;
  command: string;
}

export class RunLockHeld extends Error {
  constructor(
    readonly runDir: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(
      `${path.basename(runDir)} is in use by ${
        holder ? `pid ${holder.pid} (trellis ${holder.command}, since ${holder.since})` : "another trellis process"
      }`,
    );
  }
}

/** Descriptors of the run locks this process holds, by run folder. */
const held = new Map<string, number>();

export const runLockFile = (runDir: string) => path.join(runDir, LOCK_FILE);

/**
 * Takes the run folder's lock for this process, or throws RunLockHeld naming the holder. From
 * here on what this process creates is private (umask 077), and the folder is made 0700.
 */
export function lockRunDir(runDir: string, python: string, command: string): void {
  if (held.has(runDir)) return;
  process.umask(0o077);
  chmodSync(runDir, 0o700);
  const fd = openSync(runLockFile(runDir), "a+", 0o600);
  const flock = (py: string) => spawnSync(py, ["-I", "-S", FLOCK], { stdio: [fd, "ignore", "pipe"], encoding: "utf8" });
  let result = flock(python);
  if (result.error) result = flock("python3"); // the run's interpreter is gone (a deleted venv)
  if (result.status !== 0) {
    closeSync(fd);
    if (result.status === HELD) throw new RunLockHeld(runDir, readHolder(runDir));
    throw new Error(
      `could not lock ${runLockFile(runDir)} with ${python}: ${result.error?.message ?? result.stderr.trim()}`,
    );
  }
  held.set(runDir, fd);
  recordHolder(runDir, process.pid, command);
}

/**
 * Runs `fn` if no process holds the run's lock (so no supervisor or trainer of it is alive), for a
 * reader that found what a killed supervisor left; false, without running it, when the lock is held.
 */
export function whileUnlocked(runDir: string, fn: () => void, python = "python3"): boolean {
  let fd: number;
  try {
    fd = openSync(runLockFile(runDir), "r");
  } catch {
    return false; // a run of an older trellis, or a folder being removed: leave it
  }
  try {
    const result = spawnSync(python, ["-I", "-S", FLOCK], { stdio: [fd, "ignore", "ignore"] });
    if (result.status !== 0) return false;
    fn();
    return true;
  } finally {
    closeSync(fd);
  }
}

/** Says who holds the lock now (the supervisor, once it has started). */
export function recordHolder(runDir: string, pid: number, command: string): void {
  const holder: LockHolder = { pid, since: new Date().toISOString(), command };
  writeFileSync(runLockFile(runDir), `${JSON.stringify(holder)}\n`);
}

function readHolder(runDir: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(runLockFile(runDir), "utf8")) as LockHolder;
    return typeof h.pid === "number" ? h : undefined;
  } catch {
    return undefined; // taken a moment ago, not yet described
  }
}

/** The descriptor to hand to a supervisor started for `runDir`, when this process holds its lock. */
export const heldLockFd = (runDir: string): number | undefined => held.get(runDir);

/**
 * Lets go of this process's hold on the run's lock: after handing it to a detached supervisor,
 * or at the end of a run. A detached supervisor lets go of the descriptor it inherited.
 */
export function releaseRunLock(runDir: string): void {
  const fd = held.get(runDir);
  if (fd !== undefined) {
    held.delete(runDir);
    closeSync(fd);
    return;
  }
  const inherited = Number(process.env[LOCK_FD_ENV]);
  if (Number.isInteger(inherited) && inherited > 2) {
    delete process.env[LOCK_FD_ENV];
    try {
      closeSync(inherited);
    } catch {
      // already closed
    }
  }
}
