/**
 * A run stopped twice and resumed twice (resumed-twice.jsonl: quickstart-dpo-lora with LoRA
 * dropout 0.1, 80 steps, stopped with Ctrl-C at steps 11 and 27, resumed each time from the
 * checkpoint of the stop). Folded, it is the run it is: running with a live clock while its third
 * segment trains, and a stage whose time, cost and tokens cover all three segments.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunEvent } from "../../../src/core/events/protocol.js";
import { foldEvents } from "../../../src/core/run/dashboard-state.js";
import { stageProgress } from "../../../src/core/run/progress.js";
import { stageSeconds } from "../../../src/core/run/state.js";
import { stream } from "../../ui/streams.js";

const events = stream("resumed-twice.jsonl");
const resumes = events.filter((e) => e.type === "run_resumed");
/** Up to a metrics event of the third segment: training goes on after the second resume. */
const during = events.slice(
  0,
  events.findIndex((e) => e.type === "metrics" && e.seq > resumes[1]!.seq && e.step === 40) + 1,
);

/** Each segment of the stage: from its first event to its stage_end, and its last usage report. */
function segments(all: RunEvent[]) {
  const out: Array<{ from: number; to: number; usage: Extract<RunEvent, { type: "usage" }> | undefined }> = [];
  let open: number | null = null;
  let usage: Extract<RunEvent, { type: "usage" }> | undefined;
  for (const e of all) {
    if (e.stage !== "dpo" || e.type === "run_resumed" || e.type === "notice") continue;
    if (open === null) open = e.time;
    if (e.type === "usage") usage = e;
    if (e.type === "stage_end") {
      out.push({ from: open, to: e.time, usage });
      open = null;
      usage = undefined;
    }
  }
  return out;
}

describe("a run stopped and resumed twice", () => {
  it("is recorded as such: two stops, two resumes, one stage that finishes", () => {
    assert.equal(resumes.length, 2);
    assert.deepEqual(
      events.filter((e) => e.type === "stopped").map((e) => e.step),
      [11, 27],
    );
    assert.equal(events.at(-1)?.type, "run_end");
  });

  it("after the second resume the run is running, not stopping, and its clock runs", () => {
    const s = foldEvents(during);
    assert.equal(s.run.status, "running");
    assert.equal(s.run.reason, null);
    assert.equal(s.endedAt, null, "no end from the earlier segments' run_end");
    assert.equal(s.run.stages[0]!.status, "running");
    for (const d of Object.values(s.stages)) assert.equal(d.stoppingAt, null, `${d.id}: a stop still pending`);
    // The header's clock: from the run's start to now, and now moves on.
    const now = during.at(-1)!.time;
    assert.equal((s.endedAt ?? now + 5) - s.startedAt!, now + 5 - s.startedAt!);
    const stage = s.run.stages[0]!;
    const a = stageProgress(stage, s.stages.dpo, now).elapsed!;
    const b = stageProgress(stage, s.stages.dpo, now + 5).elapsed!;
    assert.ok(Math.abs(b - a - 5) < 1e-9, `the stage clock runs: ${a} then ${b}`);
    assert.equal(stage.step, 40);
  });

  it("after the first resume too, and the stopped state between resumes is stopped", () => {
    const stopped = foldEvents(events.slice(0, events.indexOf(resumes[1]!)));
    assert.equal(stopped.run.status, "stopped");
    assert.notEqual(stopped.endedAt, null);
    const again = foldEvents(events.slice(0, events.indexOf(resumes[0]!) + 1));
    assert.equal(again.run.status, "running");
    assert.equal(again.endedAt, null);
    assert.equal(again.stages.dpo!.stoppingAt, null);
  });

  it("sums the stage's time, cost and tokens over its three segments", () => {
    const s = foldEvents(events);
    const stage = s.run.stages[0]!;
    const parts = segments(events);
    assert.equal(parts.length, 3);
    const sum = (f: (p: (typeof parts)[number]) => number) => parts.reduce((t, p) => t + f(p), 0);
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} vs ${b}`);
    close(
      stageSeconds(stage, stage.endedAt!)!,
      sum((p) => p.to - p.from),
      "seconds",
    );
    assert.ok(stageSeconds(stage, stage.endedAt!)! < stage.endedAt! - events[0]!.time, "the pauses left out");
    close(
      stage.usage!.wall_s,
      sum((p) => p.usage!.wall_s),
      "wall_s",
    );
    close(
      stage.usage!.cpu_s,
      sum((p) => p.usage!.cpu_s),
      "cpu_s",
    );
    close(
      stage.usage!.device_s,
      sum((p) => p.usage!.device_s),
      "device_s",
    );
    assert.equal(
      stage.usage!.tokens,
      sum((p) => p.usage!.tokens),
    );
    // Every step ran once (each stop saved a checkpoint at its step): the tokens trained are the
    // trainer's own count at the last step, which went on across the resumes.
    assert.equal(stage.usage!.tokens, stage.metrics.num_tokens);
    assert.equal(stageProgress(stage, s.stages.dpo, stage.endedAt! + 100).elapsed, stageSeconds(stage, stage.endedAt!));
  });

  it("while the third segment trains, its usage adds to the two before", () => {
    const s = foldEvents(during);
    const stage = s.run.stages[0]!;
    const [first, second] = segments(events);
    const latest = during.findLast((e) => e.type === "metrics")!;
    assert.equal(latest.type, "metrics");
    if (latest.type !== "metrics") return;
    assert.equal(stage.usage!.tokens, first!.usage!.tokens + second!.usage!.tokens + latest.usage!.tokens);
    assert.equal(stage.usage!.tokens, stage.metrics.num_tokens, "num_tokens went on from the checkpoint");
  });
});
