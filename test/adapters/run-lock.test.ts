/**
 * The run folder's lock (a real flock through a real python3): a second taker is told who holds
 * it; the kernel frees it when the holder dies, with no stale file to clean; a supervisor started
 * with the descriptor keeps holding it after the process that took it let go.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { lockRunDir, releaseRunLock, RunLockHeld, runLockFile } from "../../src/adapters/run-lock.js";
import { removeSupervisorFile, runFiles } from "../../src/adapters/run-dir.js";

const runDir = () => mkdtempSync(path.join(tmpdir(), "trellis-lock-"));
const HOLD = "import fcntl, os, sys, time\nfcntl.flock(0, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(60)";

/** Another process holding the lock until killed, as a supervisor would. */
async function holder(dir: string) {
  const fd = openSync(runLockFile(dir), "a+");
  writeFileSync(
    runLockFile(dir),
    `${JSON.stringify({ pid: 4242, since: "2026-12-07T16:00:00.000Z", command: "resume" })}\n`,
  );
  const child = spawn("python3", ["-c", HOLD], { stdio: [fd, "pipe", "inherit"] });
  closeSync(fd);
  await new Promise((resolve) => child.stdout!.once("data", resolve));
  return child;
}

describe("the run folder's lock", () => {
  it("refuses a second taker, naming the holder; is free again once the holder dies", async () => {
    const dir = runDir();
    const other = await holder(dir);
    assert.throws(
      () => lockRunDir(dir, "python3", "resume"),
      (err: unknown) =>
        err instanceof RunLockHeld &&
        /is in use by pid 4242 \(trellis resume, since 2026-12-07T16:00:00.000Z\)/.test(err.message),
    );
    other.kill("SIGKILL");
    await new Promise((resolve) => other.once("exit", resolve));
    lockRunDir(dir, "python3", "resume"); // no stale lock to clean up
    assert.equal(JSON.parse(readFileSync(runLockFile(dir), "utf8")).pid, process.pid, "the new holder says who it is");
    assert.equal(statSync(dir).mode & 0o777, 0o700, "the run folder is made private");
    releaseRunLock(dir);
  });

  it("is released at the end of the run, with supervisor.json and the token removed", () => {
    const dir = runDir();
    lockRunDir(dir, "python3", "run");
    writeFileSync(runFiles(dir).supervisor, "{}\n");
    writeFileSync(runFiles(dir).token, "secret\n");
    removeSupervisorFile(dir);
    const probe = spawnSync("python3", ["-c", "import fcntl; fcntl.flock(0, fcntl.LOCK_EX | fcntl.LOCK_NB)"], {
      stdio: [openSync(runLockFile(dir), "r"), "ignore", "pipe"],
    });
    assert.equal(probe.status, 0, `still locked: ${String(probe.stderr)}`);
    assert.throws(() => statSync(runFiles(dir).token));
    assert.throws(() => statSync(runFiles(dir).supervisor));
  });

  it("taken twice by one process, it is one hold", () => {
    const dir = runDir();
    lockRunDir(dir, "python3", "run");
    lockRunDir(dir, "python3", "run");
    releaseRunLock(dir);
  });
});
