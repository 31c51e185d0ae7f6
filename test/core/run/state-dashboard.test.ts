import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunEvent } from "../../../src/core/events/protocol.js";
import {
  cleanLine,
  foldEvents,
  initialDashboardState,
  OUTPUT_TAIL_LINES,
  reduceDashboard,
} from "../../../src/core/run/dashboard-state.js";
import { currentStage, stageProgress } from "../../../src/core/run/progress.js";
import { initialState, reduce } from "../../../src/core/run/state.js";
import { stream } from "../../ui/streams.js";

describe("dashboard state from recorded runs", () => {
  it("keeps a history for every numeric metric, eval metrics apart", () => {
    const s = foldEvents(stream("dpo.jsonl"));
    const d = s.stages.dpo!;
    assert.equal(d.trainer, "dpo");
    for (const m of [
      "loss",
      "grad_norm",
      "rewards/margins",
      "rewards/accuracies",
      "rewards/chosen",
      "rewards/rejected",
      "logps/chosen",
      "num_tokens",
    ]) {
      assert.ok(d.history.get(m)?.length, m);
    }
    assert.equal(d.history.get("loss")!.length, 32);
    assert.equal(d.history.get("loss")!.last!.x, 160);
    assert.ok(d.evalHistory.get("eval_loss")!.length >= 16);
    assert.equal(d.evalStep, 160);
    assert.ok(d.evalLatest["eval_rewards/accuracies"]! > 0.9);
    assert.equal(d.lastCheckpoint?.step, 160);
    assert.equal(d.checkpoints, 8);
  });

  it("records the header facts from run_start and stage_start", () => {
    const s = foldEvents(stream("sft-dpo.jsonl"));
    assert.equal(s.run.recipe, "quickstart-sft-dpo");
    assert.equal(s.trellisVersion, "0.1.0");
    const d = s.stages.dpo!;
    assert.equal(d.trlVersion, "1.13.0");
    assert.match(d.torchVersion!, /^2\./);
    assert.equal(d.device, "cpu");
    assert.equal(d.trainRows, 320);
    assert.equal(s.run.stages.length, 2);
  });

  it("derives throughput from num_tokens and epochs, then takes the trainer's summary", () => {
    const events = stream("sft-dpo.jsonl");
    const summaryAt = events.findIndex((e) => e.type === "train_summary" && e.stage === "dpo");
    const live = foldEvents(events.slice(0, summaryAt)).stages.dpo!;
    assert.ok(live.tokensPerSec! > 1000, `tokens/s ${live.tokensPerSec}`);
    assert.ok(live.samplesPerSec! > 10, `samples/s ${live.samplesPerSec}`);
    assert.ok(live.stepsPerSec! > 1);
    const done = foldEvents(events.slice(0, summaryAt + 1)).stages.dpo!;
    const summary = events[summaryAt]!;
    assert.equal(summary.type, "train_summary");
    if (summary.type === "train_summary") assert.equal(done.samplesPerSec, summary.metrics.train_samples_per_second);
  });

  it("computes elapsed time and an ETA for the running stage", () => {
    const events = stream("sft-dpo.jsonl");
    const cut = events.findIndex((e) => e.type === "metrics" && e.stage === "dpo" && e.step === 80);
    const s = foldEvents(events.slice(0, cut + 1));
    const cur = currentStage(s)!;
    assert.equal(cur.stage.id, "dpo");
    assert.equal(cur.index, 2);
    const p = stageProgress(cur.stage, cur.detail, s.lastTime!);
    assert.equal(p.step, 80);
    assert.equal(p.maxSteps, 160);
    assert.equal(p.fraction, 0.5);
    assert.ok(p.elapsed! > 0);
    assert.ok(p.eta! > 0 && p.eta! < 60, `eta ${p.eta}`);
  });

  it("keeps a bounded tail of cleaned trainer output", () => {
    const s = foldEvents(stream("orpo.jsonl"));
    const lines = s.output.last();
    assert.ok(lines.length > 0 && lines.length <= OUTPUT_TAIL_LINES);
    assert.ok(lines.every((l) => !/[\r\u001b]/.test(l.text)));
    assert.ok(
      lines.some((l) => l.text.startsWith("Loading weights: 100%")),
      "a progress bar keeps its last state",
    );
  });

  it("folds GPU samples into per-GPU history", () => {
    const s = foldEvents(stream("dpo-gpu.jsonl"));
    assert.equal(s.gpu.latest[0]!.name, "NVIDIA H100 80GB HBM3");
    assert.ok(s.gpu.util.get(0)!.length > 10);
    assert.ok(s.gpu.mem.get(0)!.last!.y > 70);
  });

  it("reports the stage error, and the failed statuses", () => {
    const s = foldEvents(stream("failed.jsonl"));
    assert.equal(s.run.status, "failed");
    assert.equal(s.run.stages[0]!.status, "failed");
    assert.equal(s.run.error?.excType, "RuntimeError");
    assert.ok(s.endedAt !== null);
  });
});

describe("dashboard state, pure units", () => {
  const start: RunEvent = {
    type: "run_start",
    time: 0,
    run_id: "r1",
    recipe: "x",
    run_dir: "/runs/r1",
    stages: [{ id: "dpo", trainer: "dpo" }],
    trellis_version: "0.1.0",
    seq: 1,
  };

  it("stays bounded, O(1) per event, over a long run", () => {
    let s = reduceDashboard(initialDashboardState(), start);
    const n = 100_000;
    const t0 = performance.now();
    let tHalf = 0;
    for (let i = 1; i <= n; i++) {
      if (i === n / 2 + 1) tHalf = performance.now();
      s = reduceDashboard(s, {
        type: "metrics",
        time: i,
        stage: "dpo",
        step: i,
        max_steps: n,
        epoch: i / 1000,
        metrics: { loss: 0.69 - i * 1e-6, grad_norm: 1 + (i % 5) / 10, "rewards/accuracies": 0.6 + (i % 4) / 10 },
        seq: i + 1,
      });
      if (i % 4 === 0)
        s = reduceDashboard(s, {
          type: "output",
          time: i,
          stage: "dpo",
          stream: "stdout",
          line: `line ${i}`,
          seq: i + 1,
        });
    }
    const [first, second] = [tHalf - t0, performance.now() - tHalf];
    const d = s.stages.dpo!;
    for (const series of d.history.values()) assert.ok(series.bins.length <= 1024);
    assert.equal(s.output.size, OUTPUT_TAIL_LINES);
    assert.equal(s.output.total, n / 4);
    assert.equal(s.version, 1 + n + n / 4);
    // O(1) per event: the second half of the run folds no slower than the first. A ratio measured
    // side by side, not a wall-clock limit, so a busy machine cannot fail it (a quadratic fold
    // takes three times as long for the second half).
    assert.ok(second < first * 2.5 + 50, `first half ${first.toFixed(0)} ms, second half ${second.toFixed(0)} ms`);
  });

  it("cleans output lines: progress bars, colour codes, tabs", () => {
    assert.equal(cleanLine("a 10%\rb 50%\rc 100%"), "c 100%");
    assert.equal(cleanLine("\u001b[31mred\u001b[0m\tx\r"), "red  x");
    assert.equal(cleanLine("x".repeat(900)).length, 500);
  });

  it("leaves the base reducer's contract alone, and learns the stopped checkpoint", () => {
    let s = reduce(initialState, start);
    s = reduce(s, {
      type: "stopped",
      time: 1,
      stage: "dpo",
      step: 7,
      checkpoint: "/runs/r1/output/dpo/checkpoint-7",
      seq: 2,
    });
    assert.equal(s.stages[0]!.lastCheckpoint, "/runs/r1/output/dpo/checkpoint-7");
    const d = reduceDashboard(reduceDashboard(initialDashboardState(), start), {
      type: "stopping",
      time: 1,
      stage: "dpo",
      step: 7,
      seq: 2,
    });
    assert.equal(d.stages.dpo!.stoppingAt, 7);
  });
});
