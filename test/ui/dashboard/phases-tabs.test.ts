/**
 * The dashboard's frame on a recorded two-stage run with phase events: the phase line from the
 * first second, stage tabs that keep each stage's charts, help before any data, the wide layout,
 * the view settings (smoothing, log-Y, x axis, filter, time window) and review mode.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunEvent } from "../../../src/core/events/protocol.js";
import { foldEvents } from "../../../src/core/run/dashboard-state.js";
import { dashboardFrame, type FrameOptions } from "../../../src/ui/dashboard/frame.js";
import { cells, stream, until, visible } from "../streams.js";

const events = stream("sft-dpo-phases.jsonl");
const plain = { color: false, glyphs: "braille" } as const;

function frame(evs: RunEvent[], o: Partial<FrameOptions> & { columns: number; rows: number }, later = 1): string[] {
  const state = foldEvents(evs);
  const lines = dashboardFrame(state, { theme: plain, now: state.lastTime! + later, ...o });
  assert.ok(lines.length <= o.rows - 1, `${lines.length} lines for ${o.rows} rows`);
  for (const l of lines) assert.ok(cells(l) <= o.columns, `wider than ${o.columns}: ${visible(l)}`);
  return lines;
}
const text = (lines: string[]) => lines.map(visible).join("\n");
const firstOf =
  (type: string, stage?: string, extra: (e: RunEvent) => boolean = () => true) =>
  (e: RunEvent) =>
    e.type === type && (stage === undefined || e.stage === stage) && extra(e);

describe("the phase line", () => {
  it("says the stage is starting Python before it has said anything, at 60x20", () => {
    const t = text(frame(until(events, firstOf("run_start")), { columns: 60, rows: 20 }));
    assert.match(t, /phase 1\/6 ● environment \d:\d\d/);
    assert.doesNotMatch(t, /step 0\/\?/);
  });

  it("follows each phase with its elapsed time, then the step bar once training starts", () => {
    for (const [phase, label] of [
      ["data", "data"],
      ["model", "model"],
      ["preference_eval", "pref eval \\(80 pairs\\)"],
    ] as const) {
      const t = text(
        frame(
          until(
            events,
            firstOf("phase", "sft", (e) => e.type === "phase" && e.phase === phase),
          ),
          { columns: 120, rows: 40 },
          2,
        ),
      );
      assert.match(t, new RegExp(`phase \\d/6 ● ${label} 0:02`), phase);
      assert.match(t, /environment ✓/);
    }
    const training = text(frame(until(events, firstOf("metrics", "sft")), { columns: 80, rows: 24 }));
    assert.match(training, /step \d+\/80 ▕/);
  });

  it("shows no ETA once the stage has done all its steps: the phase that follows instead", () => {
    const t = text(
      frame(
        until(
          events,
          firstOf("phase", "sft", (e) => e.type === "phase" && e.phase === "saving"),
        ),
        { columns: 80, rows: 24 },
      ),
    );
    assert.match(t, /step 80\/80 ▕█+▏ 100%.* \d:\d\d saving/);
    assert.doesNotMatch(t, /--:--/);
  });

  it("the eval-unused notice is shown (TRL's eval_strategy defaults to no)", () => {
    const state = foldEvents(events);
    assert.ok(state.run.notices.some((n) => /eval data is given but eval_strategy is 'no'/.test(n)));
  });
});

describe("stage tabs", () => {
  const midDpo = until(
    events,
    firstOf("metrics", "dpo", (e) => e.type === "metrics" && e.step >= 80),
  );

  it("follow the running stage, and t's tab keeps the finished SFT stage's charts", () => {
    const live = text(frame(midDpo, { columns: 80, rows: 24 }));
    assert.match(live, /sft ✓ → \[dpo ●\] {2}stage 2\/2 DPO/);
    assert.match(live, /┌─ rewards\/margins/);
    const sft = text(frame(midDpo, { columns: 80, rows: 24, stageTab: 0 }));
    assert.match(sft, /\[sft ✓\] → dpo ● {2}stage 1\/2 SFT/);
    assert.match(sft, /┌─ token accuracy/);
    assert.match(sft, /step 80\/80 ▕█+▏ 100%/);
    assert.doesNotMatch(sft, /rewards\/margins/);
    const dpoLog = frame(midDpo, { columns: 120, rows: 40 }).join("\n");
    const sftLog = frame(midDpo, { columns: 120, rows: 40, stageTab: 0 }).join("\n");
    assert.notEqual(sftLog.match(/^log │.*$/m)?.[0], undefined);
    assert.notEqual(
      dpoLog.match(/^ +│ .*$|^log │.*$/gm)?.join(),
      sftLog.match(/^ +│ .*$|^log │.*$/gm)?.join(),
      "the SFT tab shows SFT's output",
    );
  });
});

describe("help, layouts, settings", () => {
  it("? shows every key before any data arrived, even at 60x20", () => {
    const t = text(frame(until(events, firstOf("phase", "sft")), { columns: 60, rows: 20, overlay: "help" }));
    for (const k of ["q +detach", "\\? +help", "t +stage", "/ +filter", "e +smooth", "y +log-y", "x +x axis"])
      assert.match(t, new RegExp(k), k);
  });

  it("at 120x40 the wide layout has a sidebar: stages with preference accuracy each, alerts, notices", () => {
    const t = text(frame(events, { columns: 120, rows: 40 }));
    assert.match(t, /│ stages/);
    assert.match(t, /│ {2}✓ sft sft {2}80\/80/);
    assert.match(t, /│ {4}pref acc 0\.57 → 0\.79/);
    assert.match(t, /│ {4}pref acc 0\.79 → 0\.95/);
    assert.match(t, /│ alerts \(3\)/);
  });

  it("smoothing, log-Y and the x axis change the charts and are named in the footer", () => {
    const base = frame(events, { columns: 80, rows: 24 });
    const changed = frame(events, { columns: 80, rows: 24, smoothing: 2, logY: true, xAxis: "time" });
    assert.notDeepEqual(changed.slice(5, 15), base.slice(5, 15));
    assert.match(visible(changed.at(-1)!), /ema 0\.9 log-y x time/);
    assert.match(text(changed), /└─────┴\d:\d\d─+\d:\d\d─┘/, "a wall-time axis");
    const tokens = text(frame(events, { columns: 80, rows: 24, xAxis: "tokens" }));
    assert.match(tokens, /k tok─┘/, "a token axis (TRL logs num_tokens)");
  });

  it("/ filters charts and the metric list; a filter matching nothing says so", () => {
    const t = text(frame(events, { columns: 80, rows: 24, filter: "logps" }));
    assert.match(t, /┌─ logps ch\/rej/);
    assert.doesNotMatch(t, /┌─ loss /);
    assert.match(text(frame(events, { columns: 80, rows: 24, filter: "zzz" })), /no metric matches 'zzz'/);
    assert.match(text(frame(events, { columns: 80, rows: 24, filter: "lo", editingFilter: true })), /\/ lo/);
  });

  it("time zoom shows the newest part of the run; panning moves to earlier steps", () => {
    const axis = (lines: string[]) => /└─────┴(\d+)─+(\d+)─┘/.exec(text(lines))!.slice(1).map(Number);
    assert.deepEqual(axis(frame(events, { columns: 80, rows: 24 })), [1, 160]);
    const [z0, z1] = axis(frame(events, { columns: 80, rows: 24, timeZoom: 4 }));
    assert.ok(z0! > 100 && z1 === 160, `${z0}..${z1}`);
    const [p0, p1] = axis(frame(events, { columns: 80, rows: 24, timeZoom: 4, timePan: 1 }));
    assert.ok(p1! < z1 && p0! < z0!, `${p0}..${p1}`);
  });

  it("the log pane does not repeat TRL's printed metric dicts", () => {
    const t = text(
      frame(
        until(
          events,
          firstOf("metrics", "dpo", (e) => e.type === "metrics" && e.step === 40),
        ),
        { columns: 120, rows: 40 },
      ),
    );
    assert.doesNotMatch(t, /\{'loss'/);
  });

  it("review mode says so in the footer, and offers exit instead of stop", () => {
    const last = visible(frame(events, { columns: 80, rows: 24, review: true }).at(-1)!);
    assert.match(last, /review .*q exit/);
    assert.doesNotMatch(last, /s stop/);
  });

  it("fits every size from 40x8 to 200x60 in every setting", () => {
    for (const [columns, rows] of [
      [200, 60],
      [120, 40],
      [80, 24],
      [60, 20],
      [40, 8],
    ] as const) {
      for (const o of [
        {},
        { stageTab: 0 },
        { smoothing: 3, logY: true },
        { xAxis: "tokens" as const },
        { overlay: "help" as const },
        { zoom: true },
      ])
        frame(events, { columns, rows, ...o });
    }
  });
});
