/** A run outlives its terminal, replays when finished, and stops gracefully with a checkpoint. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { followRun } from "../../src/adapters/ws-client.js";
import type { RunEvent } from "../../src/core/events/protocol.js";
import { eventsOf, readEvents, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { assertNoRunProcesses, longOrpoRecipe, startRun, waitFor } from "../helpers/live-run.js";

const ws = workspace("detach");

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
});
