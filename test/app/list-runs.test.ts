/** `trellis ls` and run lookup over a runs directory made by hand. */
import assert from "node:assert/strict";
import { mkdirSync, appendFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { findRun, listRunIds, RunNotFoundError, summarizeRun } from "../../src/app/list-runs.js";
import { STALL_CLEARED_CODE, STALLED_CODE, stalledMessage } from "../../src/core/health/stall-alert.js";
import { DEAD_PID, fabricateRun, fabricateSupervisor, streamLines, tempDir } from "./run-dirs.js";

const FINISHED = "20261127-100000-quickstart-orpo-0001";
const FAILED = "20261127-110000-quickstart-orpo-0002";
const ORPHANED = "20261127-120000-quickstart-orpo-0003";
const RUNNING = "20261127-120500-quickstart-orpo-0004";
const PREPARED = "20261127-130000-quickstart-orpo-0005";
const midTraining = (l: string) => l.includes('"type":"metrics"');

describe("the runs of a runs directory", () => {
  let runsDir: string;
  before(() => {
    runsDir = path.join(tempDir("ls"), "runs");
    fabricateRun(runsDir, FINISHED, streamLines("orpo.jsonl"));
    const failed = fabricateRun(runsDir, FAILED, streamLines("failed.jsonl"));
    appendFileSync(path.join(failed, "events.jsonl"), "not an event\n"); // ls reads past it
    fabricateSupervisor(fabricateRun(runsDir, ORPHANED, streamLines("orpo.jsonl", midTraining)), DEAD_PID);
    fabricateSupervisor(fabricateRun(runsDir, RUNNING, streamLines("orpo.jsonl", midTraining)));
    mkdirSync(path.join(runsDir, PREPARED));
    writeFileSync(path.join(runsDir, PREPARED, "launch.json"), "{}\n");
    mkdirSync(path.join(runsDir, "notes")); // neither events nor a launch: not a run
  });

  it("are the folders with events or a launch file, oldest first", () => {
    assert.deepEqual(listRunIds(runsDir), [FINISHED, FAILED, ORPHANED, RUNNING, PREPARED]);
    assert.deepEqual(listRunIds(path.join(runsDir, "absent")), []);
  });

  it("are found by id, unique prefix or substring, or as the latest", () => {
    assert.equal(findRun(runsDir, undefined), path.join(runsDir, PREPARED));
    assert.equal(findRun(runsDir, "latest"), path.join(runsDir, PREPARED));
    assert.equal(findRun(runsDir, FAILED), path.join(runsDir, FAILED));
    assert.equal(findRun(runsDir, "20261127-11"), path.join(runsDir, FAILED));
    assert.equal(findRun(runsDir, "orpo-0003"), path.join(runsDir, ORPHANED));
    assert.throws(() => findRun(runsDir, "20261127-12"), { name: "RunNotFoundError", message: /matches several runs/ });
    assert.throws(
      () => findRun(runsDir, "dpo"),
      (e) => e instanceof RunNotFoundError && /no run matches 'dpo'/.test(e.message),
    );
    assert.throws(() => findRun(path.join(runsDir, "absent"), "latest"), /no runs in/);
  });

  it("summarise a finished run from its events", () => {
    const s = summarizeRun(path.join(runsDir, FINISHED));
    assert.equal(s.status, "finished");
    assert.equal(s.recipe, "quickstart-orpo");
    assert.equal(s.trainers, "orpo");
    assert.equal(s.stage, "orpo");
    assert.equal(s.preference, 1);
    assert.equal(s.failedStage, null);
    assert.ok(s.duration! > 0 && s.duration! < 60, `duration ${s.duration}`);
  });

  it("summarise a failed run with the stage and its reason in one line", () => {
    const s = summarizeRun(path.join(runsDir, FAILED));
    assert.equal(s.status, "failed");
    assert.equal(s.failedStage, "orpo");
    assert.match(s.reason!, /^stage 'orpo' failed: RuntimeError: DataLoader worker/);
  });

  it("tell a running run from one whose supervisor died", () => {
    const now = Date.now() / 1000;
    assert.equal(summarizeRun(path.join(runsDir, RUNNING), now).status, "running");
    const orphan = summarizeRun(path.join(runsDir, ORPHANED), now);
    assert.equal(orphan.status, "failed");
    assert.match(orphan.reason!, /the supervisor is gone/);
  });

  it("leave a run without events unknown", () => {
    const s = summarizeRun(path.join(runsDir, PREPARED));
    assert.equal(s.status, "unknown");
    assert.equal(s.recipe, null);
    assert.equal(s.startedAt, null);
  });

  it("say when a live run's stage is stalled, and when its supervisor stops beating", () => {
    const dir = fabricateRun(runsDir, "20261127-140000-quickstart-orpo-0006", streamLines("orpo.jsonl", midTraining));
    fabricateSupervisor(dir);
    const noticed = Date.now() / 1000;
    const stalled = { type: "notice", time: noticed, stage: "orpo", code: STALLED_CODE, seq: 9_999 };
    appendFileSync(
      path.join(dir, "events.jsonl"),
      `${JSON.stringify({ ...stalled, message: stalledMessage("orpo", 6, 5) })}\n`,
    );
    const s = summarizeRun(dir, noticed + 68);
    assert.equal(s.status, "stalled");
    assert.equal(s.failedStage, "orpo");
    assert.equal(s.reason, "stalled 74 s: no progress and no heartbeat from stage 'orpo'");
    writeFileSync(path.join(dir, "supervisor.beat"), `${noticed - 30}\n`);
    const silent = summarizeRun(dir, noticed);
    assert.equal(silent.status, "not responding");
    assert.match(
      silent.reason!,
      new RegExp(`^supervisor not responding \\(pid ${process.pid} exists, no beat for 30 s\\)`),
    );
    const cleared = { ...stalled, code: STALL_CLEARED_CODE, message: "back", seq: 10_000 };
    appendFileSync(path.join(dir, "events.jsonl"), `${JSON.stringify(cleared)}\n`);
    writeFileSync(path.join(dir, "supervisor.beat"), `${noticed}\n`);
    assert.equal(summarizeRun(dir, noticed).status, "running");
  });
});
