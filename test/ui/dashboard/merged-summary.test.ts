// A stage with merge: true: its saved event names the merged folder, and both summaries show it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunEvent } from "../../../src/core/events/protocol.js";
import { foldEvents } from "../../../src/core/run/dashboard-state.js";
import { finalSummary } from "../../../src/ui/dashboard/final-summary.js";
import { stream } from "../streams.js";

describe("a merged stage in the summary", () => {
  const events = stream("dpo.jsonl").map((e): RunEvent =>
    e.type === "saved" ? { ...e, merged: `${e.path}/merged` } : e,
  );

  it("the final summary names the merged model under the stage's output", () => {
    const text = finalSummary(foldEvents(events));
    assert.match(text, /saved to (\S+)\/output\/dpo\n {6}merged model in \1\/output\/dpo\/merged\n/);
  });

  it("a saved event without merged (older runs, merge off) shows no merged line", () => {
    assert.doesNotMatch(finalSummary(foldEvents(stream("dpo.jsonl"))), /merged model/);
  });
});
