import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeStageEvent, type RunEvent } from "../../../src/core/events/protocol.js";
import { averages, foldThroughput, type ThroughputTotals } from "../../../src/core/perf/average.js";
import { newStageDetail, reduceStageDetail } from "../../../src/core/run/stage-detail.js";

const metrics = (seq: number, tokens: number, seconds: number, mfu: number | null): RunEvent => ({
  type: "metrics",
  seq,
  time: seq,
  stage: "dpo",
  step: seq,
  max_steps: 10,
  epoch: null,
  metrics: { loss: 0.5 },
  throughput: {
    tokens_per_s: tokens,
    padding_per_s: tokens / 9,
    samples_per_s: 2,
    padding_fraction: 0.1,
    mfu,
    seconds,
  },
});

describe("throughput averages for the manifest", () => {
  it("weights each interval by its seconds", () => {
    // 1 s at 1,000 tokens/s and 3 s at 2,000: 7,000 tokens in 4 s = 1,750 tokens/s
    const events = [metrics(1, 1000, 1, 0.1), metrics(2, 2000, 3, 0.2)];
    const totals = events.reduce(
      foldThroughput,
      new Map<string, ThroughputTotals>() as ReadonlyMap<string, ThroughputTotals>,
    );
    const [avg] = averages(totals);
    assert.equal(avg!.stage, "dpo");
    assert.equal(avg!.tokens_per_s, 1750);
    assert.ok(Math.abs(avg!.mfu! - 0.175) < 1e-12); // (0.1 x 1 + 0.2 x 3) / 4
    assert.ok(Math.abs(avg!.padding_fraction - 0.1) < 1e-12);
    assert.equal(avg!.intervals, 2);
  });

  it("keeps MFU unknown when no interval knew it", () => {
    const totals = [metrics(1, 1000, 1, null)].reduce(
      foldThroughput,
      new Map() as ReadonlyMap<string, ThroughputTotals>,
    );
    assert.equal(averages(totals)[0]!.mfu, null);
  });

  it("accepts the field on the wire and shows it in the stage detail", () => {
    const line = JSON.stringify({
      type: "metrics",
      time: 1,
      stage: "dpo",
      step: 1,
      max_steps: 10,
      epoch: 0.1,
      metrics: {},
      throughput: {
        tokens_per_s: 41050,
        padding_per_s: 0,
        samples_per_s: 53,
        padding_fraction: 0,
        mfu: 0.128,
        seconds: 2,
      },
    });
    const decoded = decodeStageEvent(line);
    assert.ok(decoded.ok);
    const d = reduceStageDetail(newStageDetail("dpo", "dpo"), { ...decoded.event, seq: 1 });
    assert.equal(d.tokensPerSec, 41050);
    assert.equal(d.mfu, 0.128);
    assert.ok(!decodeStageEvent(line.replace('"seconds":2', '"seconds":0')).ok);
  });
});
