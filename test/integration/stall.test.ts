/**
 * A stopped trainer or supervisor is noticed, for real: SIGSTOP the trainer of a running run past
 * a short stall timeout, and the `stalled` alert is in events.jsonl, `trellis ls` and
 * `attach --plain`; SIGCONT clears it and the run finishes. SIGSTOP the supervisor, and `ls` and
 * `attach` say it is not responding.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { execa } from "execa";
import { BIN, eventsOf, readEvents, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { assertNoRunProcesses, longOrpoRecipe, runProcesses, startRun, waitFor } from "../helpers/live-run.js";

const ws = workspace("stall");
/** Short enough for a test, several heartbeats long. */
const env = { ...ws.env, TRELLIS_STALL_SECONDS: "5", TRELLIS_HEARTBEAT_SECONDS: "1" };
/** The stalled notice comes within this long of the stop: the timeout, a beat, a poll, a loaded machine. */
const NOTICED_MS = 20_000;

const supervisorPid = (dir: string) =>
  (JSON.parse(readFileSync(path.join(dir, "supervisor.json"), "utf8")) as { pid: number }).pid;
const notices = (dir: string, code: string) =>
  eventsOf(readEvents(path.join(dir, "events.jsonl")), "notice").filter((n) => n.code === code);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `trellis attach --plain` (it follows a live run) until it prints `pattern`: what it printed. */
async function attachPlainUntil(dir: string, runs: string, pattern: RegExp): Promise<string> {
  const child = execa(process.execPath, [BIN, "attach", path.basename(dir), "--runs-dir", runs, "--plain"], {
    env,
    reject: false,
    stdin: "ignore",
    all: true,
  });
  let seen = "";
  child.all?.on("data", (d: Buffer) => (seen += d.toString()));
  try {
    await waitFor(() => pattern.test(seen), 60_000, `attach --plain to print ${pattern} (it printed: ${seen})`);
  } finally {
    child.kill("SIGKILL");
    await child;
  }
  return seen;
}

describe("stalls", { timeout: RUN_TIMEOUT_MS }, () => {
  it("a stopped trainer raises the stalled alert everywhere; resumed, it clears and the run finishes", async () => {
    const runs = path.join(ws.dir, "runs-trainer");
    const run = await startRun(longOrpoRecipe(ws.dir, 3), runs, env);
    const events = path.join(run.dir, "events.jsonl");
    await waitFor(() => eventsOf(readEvents(events), "metrics").length >= 2, 180_000, "training");
    const trainers = runProcesses(run.dir).filter((p) => Number(p) !== supervisorPid(run.dir));
    assert.ok(trainers.length > 0, "the trainer's processes");
    for (const p of trainers) process.kill(Number(p), "SIGSTOP");
    try {
      await waitFor(() => notices(run.dir, "stalled").length > 0, NOTICED_MS, "the stalled notice");
      assert.match(notices(run.dir, "stalled")[0]!.message, /stage 'orpo' stalled: no progress and no heartbeat/);
      const ls = await trellis(["ls", "--runs-dir", runs], { cwd: ws.dir, env });
      assert.match(ls.stdout, /stalled in orpo .*stalled \d+ s: no progress and no heartbeat from stage 'orpo'/);
      const json = JSON.parse((await trellis(["ls", "--runs-dir", runs, "--json"], { cwd: ws.dir, env })).stdout);
      assert.equal((json as Array<{ status: string }>)[0]!.status, "stalled");
      await attachPlainUntil(
        run.dir,
        runs,
        /✗ alert orpo stage 'orpo' stalled: no progress and no heartbeat for \d+ s/,
      );
    } finally {
      for (const p of trainers) process.kill(Number(p), "SIGCONT");
    }
    await waitFor(() => notices(run.dir, "stall_cleared").length > 0, 30_000, "the stall to clear");
    assert.match(notices(run.dir, "stall_cleared")[0]!.message, /stage 'orpo' responds again after \d+ s/);
    const ls = await trellis(["ls", "--runs-dir", runs], { cwd: ws.dir, env });
    assert.doesNotMatch(ls.stdout, /stalled/);
    await waitFor(() => eventsOf(readEvents(events), "run_end").length > 0, RUN_TIMEOUT_MS, "run_end");
    assert.equal(eventsOf(readEvents(events), "run_end")[0]!.status, "finished");
    assert.equal(notices(run.dir, "heartbeat").length, 0, "heartbeats are consumed, not recorded");
    assert.equal((await run.child).exitCode, 0);
    await assertNoRunProcesses(run.dir);
  });

  it("a stopped supervisor is reported by ls and attach", async () => {
    const runs = path.join(ws.dir, "runs-supervisor");
    const run = await startRun(longOrpoRecipe(ws.dir, 3), runs, env);
    const events = path.join(run.dir, "events.jsonl");
    await waitFor(() => eventsOf(readEvents(events), "metrics").length >= 1, 180_000, "training");
    const pid = supervisorPid(run.dir);
    process.kill(pid, "SIGSTOP");
    try {
      await sleep(12_000);
      const ls = await trellis(["ls", "--runs-dir", runs], { cwd: ws.dir, env });
      assert.match(ls.stdout, new RegExp(`not responding .*supervisor not responding \\(pid ${pid} exists`));
      await attachPlainUntil(run.dir, runs, /supervisor not responding \(pid \d+ exists, no beat for \d+ s\)/);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await waitFor(() => eventsOf(readEvents(events), "run_end").length > 0, RUN_TIMEOUT_MS, "run_end");
    assert.equal(eventsOf(readEvents(events), "run_end")[0]!.status, "finished");
    assert.equal(notices(run.dir, "stalled").length, 0, "the supervisor's own pause is no trainer stall");
    const ls = await trellis(["ls", "--runs-dir", runs, "--json"], { cwd: ws.dir, env });
    assert.equal((JSON.parse(ls.stdout) as Array<{ status: string }>)[0]!.status, "finished");
    await assertNoRunProcesses(run.dir);
  });
});
