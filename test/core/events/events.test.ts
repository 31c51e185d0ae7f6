import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LineDecoder } from "../../../src/core/events/line-decoder.js";
import {
  decodeRunEvent,
  decodeStageEvent,
  encodeEvent,
  metricValue,
  type RunEvent,
} from "../../../src/core/events/protocol.js";
import { initialState, preferenceSummary, reduce } from "../../../src/core/run/state.js";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("LineDecoder", () => {
  it("joins lines split across chunks, and characters split across chunks", () => {
    const d = new LineDecoder();
    const euro = bytes("€"); // 3 bytes
    assert.deepEqual(d.push(bytes('{"a":')), []);
    assert.deepEqual(d.push(new Uint8Array([...bytes('"x'), euro[0]!])), []);
    assert.deepEqual(d.push(new Uint8Array([euro[1]!, euro[2]!, ...bytes('"}\n{"b"')])), ['{"a":"x€"}']);
    assert.deepEqual(d.push(bytes(":1}\r\n")), ['{"b":1}']);
    assert.deepEqual(d.end(), []);
  });
  it("returns a last line without a newline at the end", () => {
    const d = new LineDecoder();
    d.push(bytes("a\nb"));
    assert.deepEqual(d.end(), ["b"]);
  });
  it("drops over-long lines, reporting them as null, and recovers", () => {
    const d = new LineDecoder(10);
    assert.deepEqual(d.push(bytes("x".repeat(25))), []);
    assert.deepEqual(d.push(bytes("yy\nok\n")), [null, "ok"]);
  });
});

describe("decodeStageEvent", () => {
  it("accepts a metrics line with non-finite values as strings", () => {
    const r = decodeStageEvent(
      '{"type":"metrics","time":1,"stage":"dpo","step":5,"max_steps":10,"epoch":0.5,"metrics":{"loss":"NaN","grad_norm":"Infinity"}}',
    );
    assert.ok(r.ok);
    assert.ok(r.ok && r.event.type === "metrics" && Number.isNaN(metricValue(r.event.metrics.loss)));
  });
  it("decodes non-finite metrics into numbers once, and encodeEvent writes them back as the wire's strings", () => {
    const line =
      '{"type":"metrics","time":1,"stage":"dpo","step":5,"max_steps":10,"epoch":0.5,"metrics":{"loss":"NaN","grad_norm":"Infinity","x":"-Infinity","lr":0.1,"gone":null},"seq":3}';
    const r = decodeRunEvent(JSON.parse(line));
    assert.ok(r.ok && r.event.type === "metrics");
    assert.deepEqual(r.event.metrics, { loss: NaN, grad_norm: Infinity, x: -Infinity, lr: 0.1, gone: null });
    assert.deepEqual(JSON.parse(encodeEvent(r.event)), JSON.parse(line));
  });
  for (const [name, line, reason] of [
    ["not JSON", "Traceback (most recent call last):", /not JSON/],
    ["an unknown type", '{"type":"hack","time":1}', /type/],
    ["a missing field", '{"type":"metrics","time":1,"step":1}', /max_steps|metrics|epoch/],
    ["a wrong type", '{"type":"checkpoint","time":1,"step":"one","path":"x"}', /step/],
  ] as const) {
    it(`rejects ${name} with a reason`, () => {
      const r = decodeStageEvent(line);
      assert.ok(!r.ok);
      assert.match(!r.ok ? r.error : "", reason);
    });
  }
});

describe("run state", () => {
  let seq = 0;
  const e = (event: Record<string, unknown>) => ({ time: 100 + seq, seq: ++seq, ...event }) as unknown as RunEvent;
  const events: RunEvent[] = [
    e({
      type: "run_start",
      run_id: "r1",
      recipe: "demo",
      run_dir: "/runs/r1",
      stages: [
        { id: "sft", trainer: "sft" },
        { id: "dpo", trainer: "dpo" },
      ],
      trellis_version: "0",
    }),
    e({ type: "stage_start", stage: "sft", trainer: "sft", device: "cpu" }),
    e({ type: "preference_eval", stage: "sft", when: "before", accuracy: 0.5, pairs: 80 }),
    e({ type: "metrics", stage: "sft", step: 5, max_steps: 10, epoch: 0.5, metrics: { loss: 2.5 } }),
    e({ type: "stage_end", stage: "sft", status: "finished", exit_code: 0, signal: null }),
    e({ type: "stage_start", stage: "dpo", trainer: "dpo", device: "cpu" }),
    e({ type: "metrics", stage: "dpo", step: 1, max_steps: 4, epoch: 0.1, metrics: { loss: NaN } }),
    e({ type: "preference_eval", stage: "dpo", when: "after", accuracy: 0.9, pairs: 80 }),
    e({ type: "error", stage: "dpo", exc_type: "ValueError", message: "boom" }),
    e({ type: "stage_end", stage: "dpo", status: "failed", exit_code: 1, signal: null }),
    e({ type: "run_end", status: "failed", reason: "stage 'dpo' failed: ValueError: boom" }),
  ];
  const state = events.reduce(reduce, initialState);

  it("follows stages, steps and metrics", () => {
    assert.equal(state.runId, "r1");
    assert.deepEqual(
      state.stages.map((s) => [s.id, s.status, s.step, s.maxSteps]),
      [
        ["sft", "finished", 5, 10],
        ["dpo", "failed", 1, 4],
      ],
    );
    assert.ok(Number.isNaN(state.stages[1]!.metrics.loss));
    assert.equal(state.lastSeq, events.length);
  });
  it("keeps the first error and the run's end", () => {
    assert.deepEqual(state.error, { stage: "dpo", excType: "ValueError", message: "boom" });
    assert.equal(state.status, "failed");
  });
  it("reports preference accuracy before the first stage and after the last", () => {
    assert.deepEqual(preferenceSummary(state), { before: 0.5, after: 0.9 });
  });
});
