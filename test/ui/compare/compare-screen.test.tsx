/**
 * The compare view and the generations panel on recorded event streams of two real arms: the
 * quickstart comparison's ORPO run and its SFT then DPO run (test/fixtures/streams/compare-*.jsonl,
 * recorded by test/integration/compare.test.ts's run).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { cleanup, render } from "ink-testing-library";
import { armResult } from "../../../src/core/compare/arm-result.js";
import type { RunEvent } from "../../../src/core/events/protocol.js";
import { Dashboard } from "../../../src/ui/dashboard/dashboard.js";
import { CompareScreen } from "../../../src/ui/compare/compare-screen.js";
import { compareFrame } from "../../../src/ui/compare/compare-frame.js";
import { cells, delay, storeWith, stream, until, visible } from "../streams.js";

after(cleanup);

const orpoEvents = stream("compare-orpo.jsonl");
const sftDpoEvents = stream("compare-sft-dpo.jsonl");
const orpo = armResult("quickstart-orpo", orpoEvents);
const sftDpo = armResult("quickstart-sft-dpo", sftDpoEvents);
const arms = [orpo, sftDpo];

const generations = (events: RunEvent[]) =>
  events.filter((e): e is Extract<RunEvent, { type: "generations" }> => e.type === "generations");
const prefAfter = (events: RunEvent[]) =>
  events
    .filter(
      (e): e is Extract<RunEvent, { type: "preference_eval" }> => e.type === "preference_eval" && e.when === "after",
    )
    .at(-1)!;

describe("compare view", () => {
  it("shows both arms' curves on one axis, the table with the starting model first, and the answers", async () => {
    const app = render(
      <CompareScreen
        arms={arms}
        baseline={orpo.baseline}
        title="quickstart-compare"
        columns={100}
        rows={60}
        color={false}
        glyphs="braille"
      />,
    );
    const frame = visible(app.lastFrame() ?? "");
    const lines = frame.split("\n");
    for (const l of lines) assert.ok(cells(l) <= 100, `too wide: ${l}`);
    assert.match(
      lines[0]!,
      /trellis ▸ compare ▸ quickstart-compare {2}quickstart-orpo \(orpo\) finished {2}quickstart-sft-dpo \(sft→dp/,
    );
    assert.match(frame, /x axis: CPU-seconds/);
    assert.match(frame, /┌─ loss ─+ quickstart-orpo quickstart-sft-dpo ┐/);
    assert.match(frame, /┌─ pref\. accuracy /);
    assert.match(frame, /[\u2801-\u28ff]/, "braille curves");
    assert.match(frame, /CPU-s─┘/);
    const acc = (e: RunEvent[]) => prefAfter(e).accuracy!.toFixed(3);
    assert.match(frame, new RegExp(`starting model +${orpo.baseline!.accuracy!.toFixed(3)}`));
    assert.match(frame, new RegExp(`quickstart-orpo +${acc(orpoEvents)} `));
    assert.match(frame, new RegExp(`quickstart-sft-dpo +${acc(sftDpoEvents)} `));
    assert.match(frame, / {3}sft \(sft\) .* {3}dpo \(dpo\) /s, "the two stages of SFT then DPO, each with its cost");
    const base = generations(orpoEvents).find((g) => g.when === "before")!.samples;
    assert.match(frame, /answers {2}prompt 1\/3/);
    assert.ok(frame.includes(base[0]!.prompt));
    assert.match(frame, /baseline +start +/);

    await delay(150); // Ink listens to stdin from its first effect on
    app.stdin.write("]");
    await delay(60);
    assert.match(visible(app.lastFrame() ?? ""), /prompt 2\/3/);
    assert.ok(visible(app.lastFrame() ?? "").includes(base[1]!.prompt));
    app.stdin.write("x");
    await delay(60);
    assert.match(visible(app.lastFrame() ?? ""), /x axis: tokens trained/);
    assert.match(visible(app.lastFrame() ?? ""), / tok─┘/);
    app.unmount();
  });

  it("stacks the charts on a narrow terminal and still fits", () => {
    const lines = compareFrame(arms, orpo.baseline, {
      columns: 80,
      rows: 60,
      theme: { color: false, glyphs: "ascii" },
      title: "q",
    });
    for (const l of lines) assert.ok(cells(l) <= 80, `too wide: ${l}`);
    const loss = lines.findIndex((l) => l.includes(" loss "));
    const acc = lines.findIndex((l) => l.includes(" pref. accuracy "));
    assert.ok(loss >= 0 && acc > loss + 5, "the accuracy chart below the loss chart");
  });
});

describe("generations panel in the run dashboard", () => {
  const show = (events: RunEvent[], columns = 80, rows = 24) => {
    const { store, now } = storeWith(events);
    return render(
      <Dashboard
        store={store}
        onCommand={() => {}}
        columns={columns}
        rows={rows}
        color={false}
        glyphs="braille"
        now={now}
      />,
    );
  };

  it("g shows each prompt's latest answer beside the previous one and the starting model's; [ ] page", async () => {
    const app = show(sftDpoEvents);
    await delay(150);
    assert.match(
      visible(app.lastFrame() ?? ""),
      /g answers/,
      "the hint bar offers the panel when the run has generations",
    );
    app.stdin.write("g");
    await delay(60);
    const frame = visible(app.lastFrame() ?? "");
    const all = generations(sftDpoEvents);
    const latest = all.at(-1)!;
    const previous = all.at(-2)!;
    assert.match(frame, /generations {2}prompt 1\/3/);
    assert.ok(frame.includes(latest.samples[0]!.prompt));
    assert.match(
      frame,
      new RegExp(`latest +dpo @${latest.step} end +${escape(latest.samples[0]!.answer.trim().slice(0, 10))}`),
    );
    assert.match(frame, new RegExp(`previous +${previous.stage} @${previous.step} `));
    assert.match(frame, /baseline +sft start +/);
    for (const l of frame.split("\n")) assert.ok(cells(l) <= 80);
    app.stdin.write("]");
    await delay(60);
    assert.match(visible(app.lastFrame() ?? ""), /prompt 2\/3/);
    app.stdin.write("[");
    app.stdin.write("[");
    await delay(60);
    assert.match(visible(app.lastFrame() ?? ""), /prompt 3\/3/, "paging back from the first prompt wraps to the last");
    app.stdin.write("g");
    await delay(60);
    assert.doesNotMatch(visible(app.lastFrame() ?? ""), /generations {2}prompt/);
    app.unmount();
  });

  it("during training, the latest answer is compared with the previous one", async () => {
    const app = show(until(orpoEvents, (e) => e.type === "generations" && e.when === "step"));
    await delay(150);
    app.stdin.write("g");
    await delay(60);
    const frame = visible(app.lastFrame() ?? "");
    assert.match(frame, /latest +orpo @80 /);
    assert.match(frame, /baseline +orpo start /);
    app.unmount();
  });

  it("a run without generations says how to get them, and its hint bar is unchanged", async () => {
    const app = show(stream("dpo.jsonl"));
    await delay(150);
    assert.doesNotMatch(visible(app.lastFrame() ?? ""), /g answers/);
    app.stdin.write("g");
    await delay(60);
    assert.match(visible(app.lastFrame() ?? ""), /no generations yet: add a generations block/);
    app.unmount();
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
