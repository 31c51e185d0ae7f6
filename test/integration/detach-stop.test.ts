/**
 * A run outlives its terminal, replays when finished, and stops gracefully with a checkpoint:
 * by a stop request, by Ctrl-C in the plain view (a second kills), and by `trellis stop`.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { followRun } from "../../src/adapters/ws-client.js";
import type { RunEvent } from "../../src/core/events/protocol.js";
import { BIN, eventsOf, readEvents, RUN_TIMEOUT_MS, runDirs, trellis, workspace } from "../helpers/cli.js";
import { assertNoRunProcesses, longOrpoRecipe, startRun, waitFor } from "../helpers/live-run.js";
import { terminal } from "../helpers/tmux.js";

const ws = workspace("detach");
const term = terminal(ws.dir, ws.env);
after(() => term.close());
const SIZE = { columns: 100, rows: 30 };
const stepOf = (text: string) => Math.max(-1, ...[...text.matchAll(/ (\d+)\/\d+ /g)].map((m) => Number(m[1])));

describe("detached runs", { timeout: RUN_TIMEOUT_MS }, () => {
  it("killing the terminal's process (SIGHUP) does not stop the run; attach replays it once finished", async () => {
    const runs = path.join(ws.dir, "runs-hup");
    const run = await startRun(longOrpoRecipe(ws.dir, 2), runs, ws.env);
    await waitFor(
      () => readEvents(path.join(run.dir, "events.jsonl")).some((e) => e.type === "stage_start"),
      60_000,
      "stage_start",
    );
    run.child.kill("SIGHUP");
    const result = await run.child;
    assert.equal(result.signal, "SIGHUP", "the attached client died with its terminal");
    await waitFor(
      () => readEvents(path.join(run.dir, "events.jsonl")).some((e) => e.type === "run_end"),
      RUN_TIMEOUT_MS,
      "run_end",
    );
    const events = readEvents(path.join(run.dir, "events.jsonl"));
    assert.equal(eventsOf(events, "run_end")[0]?.status, "finished");

    const attach = await trellis(["attach", path.basename(run.dir), "--runs-dir", runs, "--json"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(attach.exitCode, 0, attach.stderr);
    assert.deepEqual(
      attach.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as RunEvent),
      events,
    );

    const ls = await trellis(["ls", "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.match(ls.stdout, new RegExp(`${path.basename(run.dir)}\\s+finished\\s+orpo\\s+\\d+/\\d+`));
    await waitFor(() => !existsSync(path.join(run.dir, "supervisor.json")), 10_000, "supervisor exit");
    await assertNoRunProcesses(run.dir);
  });

  it("a graceful stop saves a checkpoint and marks the run stopped", async () => {
    const runs = path.join(ws.dir, "runs-stop");
    const run = await startRun(longOrpoRecipe(ws.dir, 30), runs, ws.env);
    const seen: RunEvent[] = [];
    const follower = followRun({ url: run.url, token: run.token, onEvent: (e) => seen.push(e) });
    await waitFor(() => seen.some((e) => e.type === "metrics"), 120_000, "training to start");
    follower.send("stop");
    const { ended } = await follower.done;
    assert.ok(ended);
    const end = eventsOf(seen, "run_end")[0]!;
    assert.equal(end.status, "stopped");
    const stopped = eventsOf(seen, "stopped")[0];
    assert.ok(stopped?.checkpoint, "the stage reported its checkpoint");
    assert.ok(existsSync(path.join(stopped.checkpoint, "trainer_state.json")), "the checkpoint is on disk");
    assert.ok(existsSync(path.join(stopped.checkpoint, "optimizer.pt")), "with the optimizer state");
    assert.ok(stopped.step < eventsOf(seen, "train_begin")[0]!.max_steps, "it stopped before the end");
    assert.equal((await run.child).exitCode, 130);
    const ls = await trellis(["ls", "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal((JSON.parse(ls.stdout) as Array<{ status: string }>)[0]?.status, "stopped");
    await waitFor(() => !existsSync(path.join(run.dir, "supervisor.json")), 10_000, "supervisor exit");
    await assertNoRunProcesses(run.dir);
  });

  it("a second stop request kills the trainer's process group at once", async () => {
    const runs = path.join(ws.dir, "runs-kill");
    const run = await startRun(longOrpoRecipe(ws.dir, 30), runs, ws.env);
    const seen: RunEvent[] = [];
    const follower = followRun({ url: run.url, token: run.token, onEvent: (e) => seen.push(e) });
    await waitFor(() => seen.some((e) => e.type === "metrics"), 120_000, "training to start");
    follower.send("stop");
    follower.send("stop");
    await follower.done;
    assert.match(
      eventsOf(seen, "notice")
        .map((n) => n.message)
        .join("\n"),
      /stopping now: the trainer's processes are killed/,
    );
    assert.equal(eventsOf(seen, "run_end")[0]?.status, "stopped");
    assert.equal((await run.child).exitCode, 130);
    await assertNoRunProcesses(run.dir);
  });

  it("Ctrl-C in run --plain stops gracefully: it says so, a checkpoint, then stopped", async () => {
    const runs = path.join(ws.dir, "runs-plain");
    await term.start("plain", SIZE, `node ${BIN} run ${longOrpoRecipe(ws.dir, 30)} --runs-dir ${runs} --plain`);
    await term.waitForScreen("plain", (s) => stepOf(s) > 0, "training on screen");
    await term.keys("plain", "C-c");
    const end = await term.waitForScreen("plain", (s) => /EXIT=\d+/.test(s), "the run to stop");
    assert.match(end, /stopping: the trainer saves a checkpoint at the end of this step/);
    assert.match(end, /[■#] run \S+ stopped/);
    assert.match(end, /EXIT=130/);
    const dir = runDirs(runs)[0]!;
    const stopped = eventsOf(readEvents(path.join(dir, "events.jsonl")), "stopped")[0];
    assert.ok(stopped?.checkpoint && existsSync(path.join(stopped.checkpoint, "trainer_state.json")));
    await assertNoRunProcesses(dir);
  });

  it("attach --plain: a second Ctrl-C kills the trainer's processes, as in the dashboard", async () => {
    const runs = path.join(ws.dir, "runs-plain-kill");
    const run = await startRun(longOrpoRecipe(ws.dir, 30), runs, ws.env);
    await term.start("kill", SIZE, `node ${BIN} attach ${path.basename(run.dir)} --runs-dir ${runs} --plain`);
    await term.waitForScreen("kill", (s) => stepOf(s) > 0, "training on screen");
    // Two presses in one instant are one SIGINT (signals do not queue): the second follows the first's answer.
    await term.keys("kill", "C-c");
    await term.waitForScreen("kill", (s) => /stopping: the trainer saves a checkpoint/.test(s), "the first answer");
    await term.keys("kill", "C-c");
    const end = await term.waitForScreen("kill", (s) => /EXIT=\d+/.test(s), "the run to end");
    assert.match(end, /killing the trainer's processes now/);
    assert.match(end, /EXIT=130/);
    assert.equal(eventsOf(readEvents(path.join(run.dir, "events.jsonl")), "run_end")[0]?.status, "stopped");
    await assertNoRunProcesses(run.dir);
  });

  it("trellis stop <run-id> stops a detached run gracefully and waits for it", async () => {
    const runs = path.join(ws.dir, "runs-stop-command");
    const run = await startRun(longOrpoRecipe(ws.dir, 30), runs, ws.env);
    await waitFor(
      () => readEvents(path.join(run.dir, "events.jsonl")).some((e) => e.type === "metrics"),
      120_000,
      "training to start",
    );
    const stop = await trellis(["stop", path.basename(run.dir), "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(stop.exitCode, 0, stop.stderr);
    assert.match(stop.stderr, /stopping: the trainer saves a checkpoint/);
    assert.match(stop.stderr, /[■#] run \S+ stopped/);
    assert.equal((await run.child).exitCode, 130);
    const again = await trellis(["stop", path.basename(run.dir), "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(again.exitCode, 0);
    assert.match(again.stderr, /is not running \(stopped\): nothing to stop/);
  });
});
