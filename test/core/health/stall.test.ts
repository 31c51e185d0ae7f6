/** The stall watchdog's rule and the `stalled` alert it becomes in every view. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunEvent } from "../../../src/core/events/protocol.js";
import {
  MIN_STALL_SECONDS,
  newStallClock,
  observeStageEvent,
  parseStallSeconds,
  STARTUP_STALL_SECONDS,
  stalledFor,
  stallTimeout,
  type StallClock,
} from "../../../src/core/health/stall.js";
import {
  foldOpenStall,
  silenceOf,
  STALL_CLEARED_CODE,
  STALLED_CODE,
  stalledMessage,
} from "../../../src/core/health/stall-alert.js";
import { foldEvents } from "../../../src/core/run/dashboard-state.js";

/** A stage started at 0 that logged `steps` steps, one every `each` seconds. */
function stepped(steps: number, each: number): StallClock {
  let c = newStallClock(0);
  for (let i = 1; i <= steps; i++) c = observeStageEvent(c, i * each, false, i);
  return c;
}

describe("the stall rule", () => {
  it("allows the startup floor until the first step, then the configured timeout", () => {
    const fresh = newStallClock(0);
    assert.equal(stallTimeout(fresh, 5), STARTUP_STALL_SECONDS);
    assert.equal(stalledFor(fresh, STARTUP_STALL_SECONDS - 1, 5), null);
    assert.equal(stalledFor(fresh, STARTUP_STALL_SECONDS, 5), STARTUP_STALL_SECONDS);
    const trained = stepped(3, 1);
    assert.equal(stallTimeout(trained, 5), 5);
    assert.equal(stalledFor(trained, 3 + 4.9, 5), null);
    assert.equal(stalledFor(trained, 3 + 74, 5), 74);
  });

  it("defaults to max(60 s, 10 median steps)", () => {
    assert.equal(stallTimeout(stepped(5, 1), null), MIN_STALL_SECONDS);
    assert.equal(stallTimeout(stepped(5, 30), null), 300);
  });

  it("counts a heartbeat as life: a long step in a healthy process is not a stall", () => {
    let c = stepped(2, 1);
    for (let t = 4; t <= 200; t += 2) c = observeStageEvent(c, t, true);
    assert.equal(stalledFor(c, 201, 5), null);
    assert.equal(stalledFor(c, 206, 5), 6); // the beats stop: a stopped process
    assert.equal(c.lastProgress, 2);
  });

  it("measures steps between logs spread over several steps", () => {
    let c = newStallClock(0);
    c = observeStageEvent(c, 10, false, 10);
    c = observeStageEvent(c, 30, false, 20);
    assert.deepEqual(c.stepSeconds, [2]);
  });

  it("reads the configured timeout from the environment's text", () => {
    assert.equal(parseStallSeconds("5"), 5);
    assert.equal(parseStallSeconds(" 0.5 "), 0.5);
    for (const bad of [undefined, "", "0", "-3", "soon"]) assert.equal(parseStallSeconds(bad), null);
  });
});

const notice = (time: number, code: string, message: string, stage = "orpo"): RunEvent => ({
  type: "notice",
  time,
  stage,
  code,
  message,
  seq: time,
});

describe("the stalled alert", () => {
  const start: RunEvent = {
    type: "run_start",
    time: 0,
    run_id: "r",
    recipe: "q",
    run_dir: "/r",
    stages: [{ id: "orpo", trainer: "orpo" }],
    trellis_version: "0",
    seq: 1,
  };
  const stalled = notice(80, STALLED_CODE, stalledMessage("orpo", 74, 5));

  it("is raised by the stalled notice and cleared when the stage speaks again", () => {
    const during = foldEvents([start, stalled]);
    assert.deepEqual(
      during.alerts.map((a) => [a.id, a.severity, a.stage]),
      [["stalled", "error", "orpo"]],
    );
    assert.equal(during.alertCount.error, 1);
    assert.match(during.alerts[0]!.message, /no progress and no heartbeat for 74 s/);
    const after = foldEvents([start, stalled, notice(90, STALL_CLEARED_CODE, "stage 'orpo' responds again")]);
    assert.deepEqual(after.alerts, []);
    assert.equal(after.alertCount.error, 0);
  });

  it("stays open for `ls` until cleared, with the silence counted from before the notice", () => {
    assert.equal(silenceOf(stalledMessage("orpo", 74, 5)), 74);
    const open = foldOpenStall(null, stalled);
    assert.deepEqual(open, { stage: "orpo", silentSince: 6 });
    assert.equal(foldOpenStall(open, notice(90, STALL_CLEARED_CODE, "back")), null);
    assert.equal(foldOpenStall(open, notice(90, STALL_CLEARED_CODE, "back", "other")), open);
    const end = {
      type: "stage_end",
      time: 95,
      stage: "orpo",
      status: "failed",
      exit_code: null,
      signal: "SIGKILL",
      seq: 9,
    } as RunEvent;
    assert.equal(foldOpenStall(open, end), null);
  });
});
