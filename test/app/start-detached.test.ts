/**
 * A prepared run handed to a real detached supervisor (dist/src/supervisor-main.js): it is
 * reachable once startDetached returns, a signal stops it, and a supervisor that cannot start
 * is reported with the end of its log.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { readSupervisor } from "../../src/app/prepared-run.js";
import { startDetached } from "../../src/app/start-detached.js";
import { readEvents } from "../helpers/cli.js";
import { preparedRun } from "./run-dirs.js";

/** How long a stopped supervisor may take to record the end and go. */
const STOP_MS = 20_000;

/** Polls until `file` exists (`present`) or is gone; true when it got there in time. */
async function until(file: string, present: boolean): Promise<boolean> {
  const deadline = Date.now() + STOP_MS;
  while (existsSync(file) !== present && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return existsSync(file) === present;
}

describe("starting a detached supervisor", { timeout: 60_000 }, () => {
  it("returns once it listens, with the address and token it published", async () => {
    const prepared = preparedRun();
    const target = await startDetached(prepared);
    const live = readSupervisor(prepared.runDir);
    assert.ok(live, "supervisor.json names a live process");
    assert.deepEqual(target, { url: live.url, token: live.token });
    assert.notEqual(live.pid, process.pid, "it runs in a process of its own");
    assert.equal(readFileSync(path.join(prepared.runDir, "token"), "utf8").trim(), target.token);

    // Once the stage runs (the supervisor has long set its signal handlers), SIGTERM asks for a
    // graceful stop, like `s` in the dashboard.
    assert.ok(await until(path.join(prepared.runDir, "scripts", "started"), true), "the stage started");
    process.kill(live.pid, "SIGTERM");
    assert.ok(await until(path.join(prepared.runDir, "supervisor.json"), false), "it records the end and goes");
    const end = readEvents(path.join(prepared.runDir, "events.jsonl")).at(-1);
    assert.equal(end?.type === "run_end" && end.status, "stopped");
  });

  it("a SIGTERM straight after it starts, before any stage runs, still ends the run cleanly", async () => {
    const prepared = preparedRun();
    await startDetached(prepared);
    const live = readSupervisor(prepared.runDir);
    assert.ok(live, "supervisor.json names a live process");
    process.kill(live.pid, "SIGTERM");
    assert.ok(await until(path.join(prepared.runDir, "supervisor.json"), false), "it records the end and goes");
    const end = readEvents(path.join(prepared.runDir, "events.jsonl")).at(-1);
    assert.equal(end?.type === "run_end" && end.status, "stopped");
  });

  it("says why a supervisor did not start, from its log", async () => {
    const prepared = preparedRun();
    writeFileSync(path.join(prepared.runDir, "launch.json"), "{ not json\n");
    const log = path.join(prepared.runDir, "supervisor.log");
    await assert.rejects(startDetached(prepared), (err: Error) => {
      const tail = readFileSync(log, "utf8").trim().split("\n").slice(-5).join("\n");
      assert.equal(err.message, `the supervisor did not start:\n${tail}`, "the last lines of its log");
      return true;
    });
    assert.match(readFileSync(log, "utf8"), /SyntaxError/);
  });
});
