import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunEvent } from "../../../src/core/events/protocol.js";
import { logFilter, LogFilterError, sinceTime } from "../../../src/core/run/log-filter.js";

const ev = (type: string, stage: string | null, time: number, extra: Record<string, unknown> = {}) =>
  ({ type, stage, time, seq: 1, ...extra }) as unknown as RunEvent;
const now = 10_000;
const events = [
  ev("metrics", "sft", now - 3600, { step: 1, max_steps: 2, epoch: 0, metrics: { loss: 1 } }),
  ev("output", "sft", now - 3599, { stream: "stdout", line: "{'loss': '1.0', 'grad_norm': '0.5', 'epoch': '0.1'}" }),
  ev("output", "sft", now - 3598, { stream: "stderr", line: "UserWarning: something" }),
  ev("eval", "dpo", now - 60, { step: 1, metrics: {} }),
  ev("run_end", null, now - 1, { status: "finished" }),
];
const kept = (o: Parameters<typeof logFilter>[0]) => events.filter(logFilter(o, now)).map((e) => e.type);

describe("trellis logs filters", () => {
  it("shows each metric once: TRL's printed dicts are left out, other output stays", () => {
    assert.deepEqual(kept({}), ["metrics", "output", "eval", "run_end"]);
  });
  it("--type takes several, comma-separated or repeated", () => {
    assert.deepEqual(kept({ types: ["metrics,eval"] }), ["metrics", "eval"]);
    assert.deepEqual(kept({ types: ["eval", "run_end"] }), ["eval", "run_end"]);
  });
  it("--stage keeps that stage's events only", () => {
    assert.deepEqual(kept({ stages: ["dpo"] }), ["eval"]);
  });
  it("--since takes a duration back or a date, and refuses anything else", () => {
    assert.deepEqual(kept({ since: "10m" }), ["eval", "run_end"]);
    assert.equal(sinceTime("2h", now), now - 7200);
    assert.equal(sinceTime("2026-11-27T17:34:00Z", now), Date.parse("2026-11-27T17:34:00Z") / 1000);
    assert.throws(() => sinceTime("yesterday", now), LogFilterError);
  });
});
