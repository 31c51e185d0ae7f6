import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareMetrics } from "../../src/app/reproduce.js";
import type { RunEvent } from "../../src/core/events/protocol.js";

const metrics = (step: number, loss: number, seq = step): RunEvent => ({
  type: "metrics",
  time: seq,
  seq,
  stage: "dpo",
  step,
  max_steps: 4,
  epoch: step / 4,
  metrics: { loss, num_tokens: 100 * step },
});

describe("compareMetrics", () => {
  const uninterrupted = [1, 2, 3, 4].map((s) => metrics(s, 1 / s));

  it("a step logged twice (resumed from an older checkpoint) counts once, as logged last", () => {
    const resumed = [metrics(1, 1), metrics(2, 0.7, 2), metrics(2, 0.5, 3), metrics(3, 1 / 3, 4), metrics(4, 0.25, 5)];
    assert.deepEqual(compareMetrics(resumed, uninterrupted), { identical: true, values: 8, steps: 4, first: null });
  });

  it("names the first step and metric that differ", () => {
    const restarted = uninterrupted.map((e, i) => (i === 2 ? { ...e, metrics: { loss: 1 / 3, num_tokens: 100 } } : e));
    assert.deepEqual(compareMetrics(restarted, uninterrupted).first, {
      stage: "dpo",
      step: 3,
      metric: "num_tokens",
      original: 100,
      reproduced: 300,
    });
  });
});
