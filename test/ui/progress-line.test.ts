/**
 * The plain view (--plain) and the summaries on recorded streams: whole lines when piped (no
 * carriage returns, no colour), alerts as they fire and in the summary, a stopped run's
 * checkpoint and resume command, a resumed run's replay marked as history, preference accuracy
 * per stage, and the dashboard's summary wrapped at word boundaries.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import type { RunEvent } from "../../src/core/events/protocol.js";
import { foldEvents } from "../../src/core/run/dashboard-state.js";
import { finalSummary } from "../../src/ui/dashboard/final-summary.js";
import { progressLineView } from "../../src/ui/progress-line.js";
import { stream } from "./streams.js";

function plainOutput(events: RunEvent[], o: { resuming?: boolean } = {}): string {
  const out = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let text = "";
  out.on("data", (c: Buffer) => (text += c.toString()));
  const view = progressLineView(out, { live: false, ...o });
  for (const e of events) view.write(e);
  const end = events.findLast((e) => e.type === "run_end");
  void view.close(end && end.type === "run_end" ? { kind: "ended", status: end.status } : { kind: "lost" });
  return text;
}

describe("--plain, piped", () => {
  it("prints whole lines: no carriage return, no escape code, phases and notices as they come", () => {
    const text = plainOutput(stream("sft-dpo-phases.jsonl"));
    assert.doesNotMatch(text, /[\r\u001b]/);
    assert.match(text, /^ {2}sft: model$/m);
    assert.match(text, /^ {2}dpo: preference eval \(80 pairs\)$/m);
    assert.match(text, /^notice eval data is given but eval_strategy is 'no'/m);
    assert.match(text, /^ {2}\[2\/2 dpo:dpo\] +█+░* \d+\/160/m);
    assert.ok(
      text.split("\n").filter((l) => /\[2\/2 dpo:dpo\]/.test(l)).length <= 14,
      "a line every tenth of the stage, not every log",
    );
  });

  it("prints each alert as it fires, before the end, and again in the summary", () => {
    const text = plainOutput(stream("alert-collapse.jsonl"));
    const fired = text.search(/^✗ alert dpo @2 loss .* pairs are trivially separable/m);
    assert.ok(fired >= 0, text);
    // The recording is cut while DPO runs: the alert came with the run, not in a closing report.
    assert.ok(fired < text.indexOf("lost contact with the run's supervisor"), text);
    const summary = plainOutput(stream("sft-dpo-phases.jsonl"));
    assert.match(summary, /alerts: 3 warnings\n {4}⚠ alert dpo @58/);
  });

  it("gives preference accuracy per stage, not one merged figure", () => {
    const text = plainOutput(stream("sft-dpo-phases.jsonl"));
    assert.match(
      text,
      /held-out preference accuracy: 0\.57 before -> 0\.95 after\n {4}sft: 0\.57 -> 0\.79\n {4}dpo: 0\.79 -> 0\.95/,
    );
  });

  it("a stopped run names its checkpoint and the resume command", () => {
    const text = plainOutput(stream("stopped.jsonl"));
    assert.match(text, /■ run 20261127-175044-quickstart-orpo-stop stopped/);
    assert.match(
      text,
      /orpo: last checkpoint \/home\/ada\/runs\/20261127-175044-quickstart-orpo-stop\/output\/orpo\/checkpoint-100/,
    );
    assert.match(text, /continue with: trellis resume 20261127-175044-quickstart-orpo-stop/);
  });

  it("a resumed run's replay is history: the earlier stop is not taken for the end", () => {
    const text = plainOutput(stream("resumed.jsonl"), { resuming: true });
    assert.doesNotMatch(text, /^■ run .* stopped/m, "no stop summary from the replay");
    assert.match(text, /^history trellis run 20261127-175044-quickstart-orpo-stop/m);
    assert.match(text, /^history run 20261127-175044-quickstart-orpo-stop stopped in orpo at step 100$/m);
    assert.match(text, /^resumed orpo from \/home\/ada\/runs\/.*checkpoint-100$/m);
    assert.match(text, /✓ run 20261127-175044-quickstart-orpo-stop finished/);
    assert.equal(text.match(/✓ run .* finished/g)?.length, 1);
  });
});

describe("the dashboard's summary", () => {
  it("names a stopped run's checkpoint and the resume command", () => {
    const text = finalSummary(foldEvents(stream("stopped.jsonl")));
    assert.match(text, /last checkpoint \/home\/ada\/runs\/.*\/checkpoint-100/);
    assert.match(text, /trellis resume 20261127-175044-quickstart-orpo-stop/);
  });

  it("wraps at word boundaries at 60 columns, paths kept whole", () => {
    const text = finalSummary(foldEvents(stream("sft-dpo-phases.jsonl")), { columns: 60 });
    for (const line of text.split("\n")) {
      if (line.length > 60) assert.match(line.trim(), /^\S+$/, `only a single long word may pass the width: ${line}`);
    }
    assert.match(text, /^ {6}\S/m, "continuation lines are indented");
    const words = (s: string) => s.split(/\s+/).filter(Boolean);
    assert.deepEqual(
      words(text),
      words(finalSummary(foldEvents(stream("sft-dpo-phases.jsonl")))),
      "no word cut or lost",
    );
  });
});
