import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { foldEvents } from "../../../src/core/run/dashboard-state.js";
import { finalSummary } from "../../../src/ui/dashboard/final-summary.js";
import { stream } from "../streams.js";

describe("finalSummary", () => {
  it("reports a finished two-stage run: stages, final metrics, preference, outputs, alerts, run dir", () => {
    const text = finalSummary(foldEvents(stream("sft-dpo.jsonl")));
    const lines = text.split("\n");
    assert.match(lines[0]!, /^✓ run 20261127-175057-quickstart-sft-dpo-c484 finished in \d:\d\d$/);
    assert.match(
      text,
      /✓ 1\/2 sft {2}finished {2}80\/80 steps {2}\d:\d\d {2}loss 1\.504 {2}token acc 0\.685 {2}pref acc 0\.57 → 0\.79 {2}\d+ samples\/s/,
      "preference accuracy per stage",
    );
    assert.match(
      text,
      /✓ 2\/2 dpo {2}finished {2}160\/160 steps {2}\d:\d\d {2}loss 0\.033 {2}acc 1\.000 {2}margins 4\.643/,
    );
    assert.match(text, /saved to \/home\/ada\/runs\/20261127-175057-quickstart-sft-dpo-c484\/output\/sft/);
    assert.match(text, /saved to \/home\/ada\/runs\/20261127-175057-quickstart-sft-dpo-c484\/output\/dpo/);
    assert.match(text, /held-out preference accuracy: 0\.57 → 0\.97/);
    assert.match(text, /alerts: 3 warnings/);
    assert.match(text, /⚠ dpo @81 grad_norm 12\.4/);
    assert.match(
      lines.at(-1)!,
      /events, logs and scripts: \/home\/ada\/runs\/20261127-175057-quickstart-sft-dpo-c484$/,
    );
    assert.doesNotMatch(text, /\u001b/);
  });

  it("reports a failed run with its reason and where it stopped", () => {
    const text = finalSummary(foldEvents(stream("failed.jsonl")));
    assert.match(text, /^✗ run 20261127-175044-quickstart-orpo-dead failed/);
    assert.match(text, /stage 'orpo' failed: RuntimeError: DataLoader worker \(pid\(s\) 4242\) exited unexpectedly/);
    assert.match(text, /✗ 1\/1 orpo {2}failed {2}100\/240 steps/);
    assert.match(text, /held-out preference accuracy: 0\.57 → -/);
  });

  it("lists the alerts of a run that raised them, with eval results", () => {
    assert.match(
      finalSummary(foldEvents(stream("alert-stuck.jsonl"))),
      /alerts: 1 warning\n {4}⚠ dpo @100 rewards\/accuracies stuck at 0\.50/,
    );
    assert.match(finalSummary(foldEvents(stream("dpo.jsonl"))), /eval loss 0\.537.*\n.*\n.*\n {2}health: no alerts/);
  });

  it("colours only when asked, and has an ASCII form", () => {
    const state = foldEvents(stream("orpo.jsonl"));
    assert.match(finalSummary(state, { color: true }), /\u001b\[32m✓ run/);
    assert.match(finalSummary(state, { glyphs: "ascii" }), /^[\x20-\x7e\n]+$/);
  });
});
