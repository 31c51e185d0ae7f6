/**
 * The supervisor's files over a run directory made by the real adapter: its token (0600),
 * supervisor.json while it runs, the events, the finished manifest. The one stage is a few lines
 * of Python that wait on the control channel, so a stop ends it at once: no training.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { readPreparedRun, readSupervisor } from "../../src/app/prepared-run.js";
import { EXIT_CODES, startSupervisor } from "../../src/app/supervisor.js";
import { fileLogger } from "../../src/adapters/logger.js";
import { readEvents } from "../helpers/cli.js";
import { preparedRun } from "./run-dirs.js";

describe("the supervisor of a run", { timeout: 60_000 }, () => {
  it("publishes its address and a private token while it runs, and records the stop", async () => {
    const prepared = readPreparedRun(preparedRun().runDir);
    const supervisor = await startSupervisor(prepared, fileLogger(path.join(prepared.runDir, "trellis.log")));
    const token = path.join(prepared.runDir, "token");
    assert.equal(readFileSync(token, "utf8"), `${supervisor.token}\n`);
    assert.equal(statSync(token).mode & 0o777, 0o600);
    const live = readSupervisor(prepared.runDir);
    assert.equal(live?.url, supervisor.url);
    assert.equal(live?.token, supervisor.token);
    assert.equal(live?.pid, process.pid);

    supervisor.command("stop");
    const result = await supervisor.done;
    assert.equal(result.status, "stopped");
    assert.equal(existsSync(path.join(prepared.runDir, "supervisor.json")), false, "newcomers see the run is over");
    assert.equal(readSupervisor(prepared.runDir), undefined);

    const events = readEvents(path.join(prepared.runDir, "events.jsonl"));
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
      "numbered in order from 1",
    );
    const types = events.map((e) => (e.type === "notice" ? `notice:${e.code}` : e.type));
    for (const expected of ["run_start", "environment", "notice:hello", "notice:launch", "notice:stop_requested"])
      assert.ok(types.includes(expected), `${expected} in ${types.join(" ")}`);
    assert.deepEqual(types.slice(-2), ["stage_end", "run_end"]);

    const manifest = JSON.parse(readFileSync(path.join(prepared.runDir, "manifest.json"), "utf8"));
    assert.equal(manifest.status, "stopped");
    assert.equal(manifest.exit_code, EXIT_CODES.stopped);
    assert.ok(manifest.ended_at);
  });
});
