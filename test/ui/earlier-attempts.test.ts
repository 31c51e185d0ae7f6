/**
 * A run resumed twice, replayed with the replay's marks (events before the latest run_resumed are
 * history): the plain view prints the earlier attempts' failures as `earlier attempt`, never as
 * what happens now, and one summary at the real end.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { replayFinished } from "../../src/app/attach.js";
import type { RunEvent } from "../../src/core/events/protocol.js";
import { progressLineView } from "../../src/ui/progress-line.js";
import { stream } from "./streams.js";

/** resumed.jsonl made into three attempts: two that failed, then one that finishes. */
function threeAttempts(): RunEvent[] {
  const recorded = stream("resumed.jsonl");
  const at = recorded.findIndex((e) => e.type === "run_resumed");
  const failed = (e: RunEvent): RunEvent =>
    e.type === "stage_end" || e.type === "run_end"
      ? { ...e, status: "failed", reason: "stage 'orpo' failed: RuntimeError: boom" }
      : e;
  const first = recorded
    .slice(0, at)
    .filter((e) => e.type !== "stopped")
    .map(failed);
  const resume = recorded[at]!;
  const rest = recorded.slice(at + 1);
  const second = rest.slice(0, 20);
  const ends = recorded.slice(at - 2, at).map(failed); // stage_end, run_end
  const all = [...first, resume, ...second, ...ends, resume, ...rest];
  return all.map((e, i) => ({ ...e, seq: i + 1 }));
}

function plainOutput(events: RunEvent[], resuming = false): string {
  const out = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let text = "";
  out.on("data", (c: Buffer) => (text += c.toString()));
  const view = progressLineView(out, { live: false, resuming });
  const attemptStart = events.findLast((e) => e.type === "run_resumed")!.seq;
  for (const e of events) view.write(e, { history: e.seq < attemptStart });
  void view.close({ kind: "ended", status: "finished" });
  return text;
}

describe("a run resumed twice, replayed", () => {
  it("prints the earlier attempts' failures as earlier attempts, and the present as the present", () => {
    const text = plainOutput(threeAttempts());
    const lines = text.split("\n");
    const failures = lines.filter((l) => /✗|failed/.test(l));
    assert.ok(failures.length >= 3, text);
    for (const l of failures) assert.match(l, /^earlier attempt /, `a failure shown as current: ${l}\n${text}`);
    assert.match(text, /^earlier attempt resumed orpo from /m);
    assert.match(text, /^earlier attempt run 20261127-175044-quickstart-orpo-stop failed in orpo at step \d+$/m);
    const current = lines.findLastIndex((l) => /^resumed orpo from /.test(l));
    assert.ok(current > 0, text);
    assert.ok(
      lines.slice(current).every((l) => !l.startsWith("earlier attempt")),
      "nothing after the latest resume is history",
    );
    assert.equal(text.match(/✓ run 20261127-175044-quickstart-orpo-stop finished/g)?.length, 1, text);
  });

  it("under trellis resume, the same lines read as history, as they always have", () => {
    const text = plainOutput(threeAttempts(), true);
    const failures = text.split("\n").filter((l) => /✗|failed/.test(l));
    assert.ok(failures.length >= 3, text);
    for (const l of failures) assert.match(l, /^history /, l);
    assert.match(text, /^history run 20261127-175044-quickstart-orpo-stop failed in orpo at step \d+$/m);
  });

  it("attach on the finished run marks what came before the latest run_resumed", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "trellis-attempts-"));
    try {
      const events = threeAttempts();
      writeFileSync(path.join(dir, "events.jsonl"), `${events.map((e) => JSON.stringify(e)).join("\n")}\n`);
      const marks: Array<[number, boolean]> = [];
      await replayFinished(dir, {
        write: (e, meta) => void marks.push([e.seq, meta?.history === true]),
        close: () => {},
      });
      const latest = events.findLast((e) => e.type === "run_resumed")!.seq;
      assert.equal(marks.length, events.length);
      for (const [seq, history] of marks) assert.equal(history, seq < latest, `event ${seq}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
