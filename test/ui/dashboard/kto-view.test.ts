/**
 * A KTO stage on screen, from a recorded real run (test/fixtures/streams/kto.jsonl: the
 * quickstart-kto recipe, TRL 1.13 on the CPU): its charts and table rows and the final summary
 * show the KL term and the desirable/undesirable rewards, as DPO's show margins and accuracies.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { foldEvents } from "../../../src/core/run/dashboard-state.js";
import { chartSpecs, kpiRows } from "../../../src/ui/dashboard/charts-for.js";
import { finalSummary } from "../../../src/ui/dashboard/final-summary.js";
import { stream } from "../streams.js";

describe("a KTO stage on screen", () => {
  const state = foldEvents(stream("kto.jsonl"));
  const detail = state.stages.kto!;

  it("charts the loss, the desirable over the undesirable rewards, their gap and the KL estimate", () => {
    assert.equal(detail.trainer, "kto");
    const charts = chartSpecs(detail, true).map((c) => c.title);
    assert.deepEqual(charts.slice(0, 4), ["loss", "rewards des/undes", "reward gap des-undes", "KL estimate"]);
    const rewards = chartSpecs(detail, true).find((c) => c.title === "rewards des/undes")!;
    assert.deepEqual(
      rewards.layers.map((l) => l.metric),
      ["rewards/chosen", "rewards/rejected"],
    );
  });

  it("lists KTO's values first in the table", () => {
    const rows = kpiRows(detail, new Set()).map((r) => r.name);
    assert.deepEqual(rows.slice(0, 4), ["rewards/chosen", "rewards/rejected", "rewards/margins", "kl"]);
  });

  it("ends with the loss, both rewards and the KL, and the held-out accuracy before and after", () => {
    const text = finalSummary(state);
    assert.match(
      text,
      /✓ 1\/1 kto {2}finished {2}160\/160 steps .*loss [\d.]+ {2}desirable reward -?[\d.]+ {2}undesirable reward -?[\d.]+ {2}kl [\d.]+/,
    );
    assert.match(text, /held-out preference accuracy: 0\.57 → 0\.82/);
  });
});
