import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { cleanup, render } from "ink-testing-library";
import type { RunEvent } from "../../../src/core/events/protocol.js";
import { STALL_CLEARED_CODE, STALLED_CODE, stalledMessage } from "../../../src/core/health/stall-alert.js";
import { foldEvents } from "../../../src/core/run/dashboard-state.js";
import { Dashboard } from "../../../src/ui/dashboard/dashboard.js";
import { dashboardFrame } from "../../../src/ui/dashboard/frame.js";
import type { DashboardCommand } from "../../../src/ui/dashboard/keys.js";
import { cells, storeWith, stream, until, visible, waitFor } from "../streams.js";

after(cleanup);

interface Shown {
  frame: string;
  lines: string[];
  commands: DashboardCommand[];
  stdin: { write: (s: string) => void };
  stdinListeners: () => number;
  last: () => string;
  unmount: () => void;
}

/** Ink attaches its stdin listener in an effect after the first render: wait for it. */
async function showLive(events: RunEvent[]): Promise<Shown> {
  const s = show(events);
  await waitFor(() => assert.ok(s.stdinListeners() > 0, "ink listens to stdin"));
  return s;
}

function show(
  events: RunEvent[],
  size: { columns: number; rows: number } = { columns: 80, rows: 24 },
  color = false,
): Shown {
  const { store, now } = storeWith(events);
  const commands: DashboardCommand[] = [];
  const app = render(
    <Dashboard
      store={store}
      onCommand={(c) => commands.push(c)}
      columns={size.columns}
      rows={size.rows}
      color={color}
      glyphs="braille"
      now={now}
    />,
  );
  const frame = app.lastFrame() ?? "";
  return {
    frame,
    lines: frame.split("\n"),
    commands,
    stdin: app.stdin,
    stdinListeners: () => app.stdin.listenerCount("readable"),
    last: () => app.lastFrame() ?? "",
    unmount: app.unmount,
  };
}

/** The frame fits: at most rows-1 lines, none wider than the terminal. */
function assertFits(s: Shown, columns: number, rows: number) {
  assert.ok(s.lines.length <= rows - 1, `${s.lines.length} lines for ${rows} rows`);
  for (const l of s.lines) assert.ok(cells(l) <= columns, `${cells(l)} > ${columns}: ${visible(l)}`);
}

const dpoMidRun = () => until(stream("dpo.jsonl"), (e) => e.type === "metrics" && e.step === 100);

describe("dashboard at 80x24", () => {
  it("shows a DPO run: header, progress, loss, margins and accuracy charts, keys", () => {
    const s = show(dpoMidRun());
    const f = s.frame;
    assertFits(s, 80, 24);
    assert.match(s.lines[0]!, /trellis ▸ dpo-lora-eval ▸ 20261127-175113-dpo-lora-eval-185f .*● running/);
    assert.match(f, /stage 1\/1 DPO {2}TRL 1\.13\.0 {2}torch 2\.13\.0\+cpu {2}CPU/);
    assert.match(f, /step 100\/160 ▕█+░+▏ 62% {2}ep 2\.50 {2}\d:\d\d ETA \d:\d\d {2}\d+ samples\/s {2}[\d.]+k tok\/s/);
    assert.match(f, /┌─ loss ─+ 0\.571 ─┐/, "the loss chart with its last value at step 100");
    assert.match(f, /┌─ rewards\/margins ─+ 0\.272 ─┐/);
    assert.match(f, /┌─ rewards\/accuracies /);
    assert.match(f, /[\u2801-\u28ff]/, "braille plots");
    assert.match(f, /┈ ┈ ┈/, "a guide (ln 2, 0 or 0.5)");
    assert.match(f, /eval\/loss +0\.\d+/, "eval metrics in the table");
    assert.match(
      f,
      /ckpt checkpoint-80 @80 {2}eval @90 loss 0\.592 acc 0\.863/,
      "step 100's checkpoint and eval come after its log",
    );
    assert.doesNotMatch(
      f,
      /^log │ \{'(loss|eval_loss)'/m,
      "TRL's printed metric dicts are not repeated in the log pane",
    );
    assert.match(f, /health ✓ finite ✓ init ✓ learn ✓ acc ✓ grad ✓ drift +no alerts/);
    assert.match(s.lines.at(-1)!, /q detach {2}\? help {2}s stop {2}c checkpoint {2}tab charts/);
    s.unmount();
  });

  it("shows ORPO's charts: loss, nll_loss, log_odds_ratio, accuracies", () => {
    const s = show(until(stream("orpo.jsonl"), (e) => e.type === "metrics" && e.step === 120));
    assertFits(s, 80, 24);
    for (const t of ["loss", "nll_loss", "log_odds_ratio", "rewards/accuracies"])
      assert.match(s.frame, new RegExp(`┌─ ${t} ─`), t);
    assert.match(s.frame, /stage 1\/1 ORPO/);
    assert.match(s.frame, /rewards\/margins +0\.0\d+/, "margins in the table");
    s.unmount();
  });

  it("shows SFT's charts: loss, token accuracy, with eval", () => {
    const s = show(until(stream("sft.jsonl"), (e) => e.type === "metrics" && e.step === 60));
    assertFits(s, 80, 24);
    assert.match(s.frame, /┌─ loss ─+ [\d.]+ ─┐/);
    assert.match(s.frame, /┌─ token accuracy ─/);
    assert.match(s.frame, /stage 1\/1 SFT/);
    assert.match(s.frame, /eval @40 loss [\d.]+ tok acc [\d.]+/);
    assert.match(s.frame, /eval\/loss +2\.199/);
    assert.doesNotMatch(s.frame, /rewards|✓ learn|✓ drift/, "no preference metrics or checks for SFT");
    s.unmount();
  });

  it("shows the stage chain of a two-stage run and the finished state", () => {
    const s = show(stream("sft-dpo.jsonl"));
    assertFits(s, 80, 24);
    assert.match(s.frame, /sft ✓ → \[dpo ✓\] {2}stage 2\/2 DPO/, "the stage tabs, the shown one in brackets");
    assert.match(s.lines[0]!, /✓ finished \d:\d\d$/);
    assert.match(s.frame, /step 160\/160 ▕█+▏ 100%/);
    assert.match(s.lines.at(-1)!, /q exit/);
    assert.doesNotMatch(s.lines.at(-1)!, /s stop/, "no stop once the run is over");
    s.unmount();
  });

  it("shows a failed run with its error", () => {
    const s = show(stream("failed.jsonl"));
    assertFits(s, 80, 24);
    assert.match(s.lines[0]!, /✗ failed/);
    assert.match(s.frame, /✗ orpo: RuntimeError: DataLoader worker \(pid\(s\) 4242\) exited unexpectedly/);
    assert.match(s.frame, /step 100\/240/);
    assert.match(s.frame, /RuntimeError: DataLoader worker/);
    s.unmount();
  });

  it("shows GPU utilisation and memory when gpu events exist", () => {
    const s = show(until(stream("dpo-gpu.jsonl"), (e) => e.type === "metrics" && e.step === 100));
    assertFits(s, 80, 24);
    assert.match(s.frame, /H100 80GB HBM3/, "the GPU name as the device");
    assert.match(s.frame, /GPU0 H100 80GB {2}util ▕█+░*▏ +\d+% {2}mem ▕█+░*▏ \d+\/80G/);
    assert.match(s.frame, /✓ gpu/);
    s.unmount();
  });
});

describe("dashboard alerts", () => {
  const cases: Array<[string, RegExp, RegExp]> = [
    ["alert-nan.jsonl", /✗ dpo @60 loss is NaN .*at step 60: stop the run/, /✗ finite/],
    ["alert-stuck.jsonl", /⚠ dpo @100 rewards\/accuracies stuck at 0\.50/, /⚠ learn/],
    ["alert-collapse.jsonl", /✗ dpo @2 loss 2\.00e-4 with accuracy 1\.00 at step 2: pairs are/, /✗ init/],
  ];
  for (const [file, line, token] of cases) {
    it(file, () => {
      const s = show(stream(file));
      assertFits(s, 80, 24);
      assert.match(s.frame, line);
      assert.match(s.frame, token);
      assert.match(s.frame, /alerts 1[✗⚠]/);
      s.unmount();
    });
  }

  it("shows a stalled stage's alert while it lasts, and takes it away when the stage speaks again", () => {
    const running = until(stream("orpo.jsonl"), (e) => e.type === "metrics" && e.step >= 40);
    const last = running.at(-1)!;
    const notice = (code: string, message: string, dt: number): RunEvent => ({
      type: "notice",
      time: last.time + dt,
      stage: "orpo",
      code,
      message,
      seq: last.seq + dt,
    });
    const stalled = [...running, notice(STALLED_CODE, stalledMessage("orpo", 74, 60), 74)];
    const s = show(stalled);
    assert.match(s.frame, /✗ orpo stage 'orpo' stalled: no progress and no heartbeat for 74 s/);
    assert.match(s.frame, /alerts 1✗/);
    s.unmount();
    const back = show([
      ...stalled,
      notice(STALL_CLEARED_CODE, "stage 'orpo' responds again after 80 s of silence", 80),
    ]);
    assert.doesNotMatch(back.frame, /stalled: no progress/);
    assert.match(back.frame, /no alerts/);
    back.unmount();
  });

  it("marks NaN in the chart and the table", () => {
    const s = show(stream("alert-nan.jsonl"));
    assert.match(s.frame, /┌─ loss ─+ NaN ─┐/);
    assert.match(s.frame, /✗/);
    s.unmount();
  });
});

describe("dashboard sizes, colour and glyphs", () => {
  it("uses no colour codes when colour is off (NO_COLOR), and some when on", () => {
    const plain = show(dpoMidRun());
    assert.doesNotMatch(plain.frame, /\u001b/);
    plain.unmount();
    const colored = show(dpoMidRun(), { columns: 80, rows: 24 }, true);
    assert.match(colored.frame, /\u001b\[3\dm/);
    assertFits(colored, 80, 24);
    colored.unmount();
  });

  it("picks glyphs from the locale and terminal", async () => {
    const { defaultGlyphs } = await import("../../../src/ui/dashboard/theme.js");
    assert.equal(defaultGlyphs({ LANG: "C" }), "ascii");
    assert.equal(defaultGlyphs({ LANG: "en_US.UTF-8" }), "braille");
    assert.equal(defaultGlyphs({}), "braille");
    assert.equal(defaultGlyphs({ TERM: "linux", LANG: "en_US.UTF-8" }), "ascii");
  });

  it("draws with ASCII only in ascii mode", () => {
    const { store, now } = storeWith(dpoMidRun());
    const app = render(
      <Dashboard store={store} onCommand={() => {}} columns={80} rows={24} color={false} glyphs="ascii" now={now} />,
    );
    assert.match(app.lastFrame()!, /^[\x20-\x7e\n]+$/);
    app.unmount();
  });

  // ink-testing-library's terminal is 100 columns wide: wider frames are checked on the pure frame.
  const files = [
    "dpo.jsonl",
    "orpo.jsonl",
    "sft.jsonl",
    "sft-dpo.jsonl",
    "failed.jsonl",
    "alert-nan.jsonl",
    "alert-stuck.jsonl",
    "alert-collapse.jsonl",
    "dpo-gpu.jsonl",
  ];
  const sizes = [
    [200, 60],
    [120, 40],
    [100, 30],
    [80, 24],
    [72, 24],
    [60, 20],
    [40, 8],
    [39, 8],
    [80, 7],
    [30, 6],
    [20, 3],
    [10, 2],
  ] as const;
  it(`fits every size: ${sizes.map(([c, r]) => `${c}x${r}`).join(" ")}`, () => {
    for (const file of files) {
      const state = foldEvents(stream(file));
      for (const [columns, rows] of sizes) {
        for (const overlay of ["none", "help", "alerts"] as const) {
          const lines = dashboardFrame(state, {
            columns,
            rows,
            theme: { color: true, glyphs: "braille" },
            now: state.lastTime!,
            overlay,
          });
          assert.ok(lines.length <= Math.max(1, rows - 1), `${file} ${columns}x${rows}: ${lines.length} lines`);
          for (const l of lines) assert.ok(cells(l) <= columns, `${file} ${columns}x${rows} ${overlay}: ${visible(l)}`);
        }
      }
    }
  });

  it("at 120x40 shows six charts, three a row, and the GPU", () => {
    const state = foldEvents(stream("dpo-gpu.jsonl"));
    const lines = dashboardFrame(state, {
      columns: 120,
      rows: 40,
      theme: { color: false, glyphs: "braille" },
      now: state.lastTime!,
    });
    const titles = lines.join("\n").match(/┌─ [a-z_/ ]+ ─/g) ?? [];
    assert.deepEqual(titles, [
      "┌─ loss ─",
      "┌─ rewards/margins ─",
      "┌─ rewards/accuracies ─",
      "┌─ rewards ch/rej ─",
      "┌─ grad_norm ─",
      "┌─ logps ch/rej ─",
    ]);
    assert.ok(lines.some((l) => /^ GPU0 H100 80GB {2}util/.test(l)));
    assert.equal(lines.length, 39);
  });

  it("at 60 columns shows fewer, one-per-row charts", () => {
    const s = show(dpoMidRun(), { columns: 60, rows: 24 });
    const titleLines = s.lines.filter((l) => l.includes("┌─"));
    assert.ok(titleLines.length >= 1);
    assert.ok(titleLines.every((l) => (l.match(/┌─/g) ?? []).length === 1));
    s.unmount();
  });

  it("says the terminal is too small below 40x8", () => {
    const s = show(dpoMidRun(), { columns: 30, rows: 6 });
    assert.match(s.frame, /too small/);
    assertFits(s, 30, 6);
    s.unmount();
  });
});

describe("dashboard keys", () => {
  // Each key's effect is waited for (waitFor retries the assertion), never slept on: a busy
  // machine only makes a test slower, not red.
  it("asks before stopping: s then y sends stop", async () => {
    const s = await showLive(dpoMidRun());
    s.stdin.write("s");
    await waitFor(() => assert.match(s.last(), /Stop training\? A checkpoint is saved first\. y: stop/));
    assert.deepEqual(s.commands, []);
    s.stdin.write("y");
    await waitFor(() => assert.deepEqual(s.commands, ["stop"]));
    await waitFor(() => assert.match(s.last(), /stopping: a checkpoint, then stop/));
    s.unmount();
  });

  it("any other key cancels the stop", async () => {
    const s = await showLive(dpoMidRun());
    s.stdin.write("s");
    await waitFor(() => assert.match(s.last(), /Stop training\?/));
    s.stdin.write("n");
    await waitFor(() => assert.doesNotMatch(s.last(), /Stop training\?/));
    assert.deepEqual(s.commands, []);
    s.unmount();
  });

  it("q detaches, c asks for a checkpoint", async () => {
    const s = await showLive(dpoMidRun());
    s.stdin.write("c");
    await waitFor(() => assert.match(s.last(), /checkpoint requested/));
    s.stdin.write("q");
    await waitFor(() => assert.deepEqual(s.commands, ["checkpoint", "detach"]));
    s.unmount();
  });

  it("ctrl-c stops at once (no question), a second kills, a third leaves; never taken for c", async () => {
    const s = await showLive(dpoMidRun());
    s.stdin.write("\u0003");
    await waitFor(() => assert.deepEqual(s.commands, ["stop"]));
    await waitFor(() => assert.match(s.last(), /stopping: a checkpoint, then stop \(\^C again kills\)/));
    s.stdin.write("\u0003");
    await waitFor(() => assert.deepEqual(s.commands, ["stop", "stop"]));
    await waitFor(() => assert.match(s.last(), /killing the trainer's processes/));
    s.stdin.write("\u0003");
    await waitFor(() => assert.deepEqual(s.commands, ["stop", "stop", "detach"]));
    s.unmount();
  });

  it("ctrl-c after s y is the second stop request: it kills, as on the plain path", async () => {
    const s = await showLive(dpoMidRun());
    s.stdin.write("s");
    await waitFor(() => assert.match(s.last(), /Stop training\?/));
    s.stdin.write("y");
    await waitFor(() => assert.deepEqual(s.commands, ["stop"]));
    s.stdin.write("\u0003");
    await waitFor(() => assert.match(s.last(), /killing the trainer's processes/));
    assert.deepEqual(s.commands, ["stop", "stop"]);
    s.unmount();
  });

  it("ctrl-c on an ended run leaves", async () => {
    const s = await showLive(stream("dpo.jsonl"));
    s.stdin.write("\u0003");
    await waitFor(() => assert.deepEqual(s.commands, ["detach"]));
    s.unmount();
  });

  it("offers no stop or checkpoint once the run has ended", async () => {
    const s = await showLive(stream("dpo.jsonl"));
    s.stdin.write("s");
    s.stdin.write("y");
    s.stdin.write("c");
    s.stdin.write("q");
    // Keys are handled in order: once q's detach is there, s, y and c were handled before it.
    await waitFor(() => assert.ok(s.commands.length > 0));
    assert.deepEqual(s.commands, ["detach"]);
    s.unmount();
  });

  it("? opens the help overlay, esc closes it", async () => {
    const s = await showLive(dpoMidRun());
    s.stdin.write("?");
    await waitFor(() => assert.match(s.last(), /training continues/));
    assert.match(s.last(), /keys/);
    assert.doesNotMatch(s.last(), /┌─ loss/);
    s.stdin.write("\u001b");
    await waitFor(() => assert.match(s.last(), /┌─ loss/));
    s.unmount();
  });

  it("tab shows the next charts; a lists the alerts", async () => {
    const s = await showLive(stream("alert-nan.jsonl"));
    const titles = () => (s.last().match(/┌─ [a-z_/ ]+ ─/g) ?? []).join();
    const first = titles();
    s.stdin.write("\t");
    await waitFor(() => assert.notEqual(titles(), first));
    s.stdin.write("a");
    await waitFor(() => assert.match(s.last(), /alerts \(1\), newest first/));
    s.unmount();
  });
});

describe("dashboard keys typed fast", () => {
  it("keys that arrive together in one chunk each count: e then y", async () => {
    const s = await showLive(dpoMidRun());
    s.stdin.write("ey");
    await waitFor(() => assert.match(s.last(), /ema 0\.6 log-y/));
    s.stdin.write("/");
    s.stdin.write("rew");
    await waitFor(() => assert.match(s.last(), /\/ rew/, "the filter takes a pasted string whole"));
    s.unmount();
  });
});
