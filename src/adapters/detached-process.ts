/** A process started in its own session that outlives us: the detached supervisor. */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";

/**
 * Starts `command` with its stdout and stderr appended to `logFile`, and lets it go. node's
 * spawn, not execa: a daemon we never wait for, writing straight to its log file. `passFd`, when
 * given, becomes the child's fd 3 (a lock it goes on holding).
 */
export function spawnDetached(
  command: string,
  args: string[],
  logFile: string,
  passFd?: { fd: number; env: Record<string, string> },
): { exited: () => boolean; pid: number | undefined } {
  const log = openSync(logFile, "a");
  const child = spawn(command, args, {
    detached: true,
    stdio: passFd ? ["ignore", log, log, passFd.fd] : ["ignore", log, log],
    ...(passFd ? { env: { ...process.env, ...passFd.env } } : {}),
  });
  closeSync(log); // the child holds its own copy
  child.unref();
  let exited = false;
  child.once("exit", () => (exited = true));
  return { exited: () => exited, pid: child.pid };
}
