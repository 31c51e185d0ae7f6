/**
 * The dashboard in real terminals of 60x20, 80x24 and 120x40 (tmux) on one real two-stage run
 * (quickstart SFT then DPO), resized as it goes to save a second run: the phase line in the first
 * seconds, the stage tabs while DPO runs (t shows SFT's charts), the wide layout with its
 * sidebar; then the finished run opened for review at each size, with its curves; `--summary`
 * keeps the text. UPDATE_SCREENS=1 rewrites the captures in test/fixtures/screens/ (docs/dashboard.md).
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import {
  BIN,
  eventsOf,
  onlyRun,
  readEvents,
  RECIPES,
  ROOT,
  RUN_TIMEOUT_MS,
  trellis,
  workspace,
} from "../helpers/cli.js";
import { terminal } from "../helpers/tmux.js";

const ws = workspace("dashboard-stages");
const term = terminal(ws.dir, ws.env);
const SCREENS = path.join(ROOT, "test", "fixtures", "screens");
const SIZES = {
  small: { columns: 60, rows: 20 },
  compact: { columns: 80, rows: 24 },
  wide: { columns: 120, rows: 40 },
} as const;
const BRAILLE = /[\u2801-\u28ff]{3}/;

function keep(name: string, screen: string): void {
  if (!process.env.UPDATE_SCREENS) return;
  mkdirSync(SCREENS, { recursive: true });
  writeFileSync(path.join(SCREENS, name), `${screen.replace(/\nEXIT=\d+[\s\S]*$/, "").trimEnd()}\n`);
}

function fits(screen: string, columns: number): void {
  for (const line of screen.split("\n"))
    assert.ok([...line].length <= columns, `a line wider than ${columns}: ${line}`);
}

/** quickstart-sft-dpo with DPO logging every step and a longer DPO: time to look at it. */
function recipe(): string {
  const text = readFileSync(path.join(RECIPES, "quickstart-sft-dpo.yaml"), "utf8")
    .replace(/num_train_epochs: 4/, "num_train_epochs: 6")
    .replace(/data\//g, `${path.join(RECIPES, "data")}/`);
  const file = path.join(ws.dir, "sft-dpo.yaml");
  writeFileSync(file, text);
  return file;
}

after(() => term.close());

describe("the dashboard of a two-stage run, live and in review", { timeout: RUN_TIMEOUT_MS }, () => {
  const runs = path.join(ws.dir, "runs");
  const stepOf = (text: string) => Number(/step (\d+)\/\d+/.exec(text)?.[1] ?? -1);

  it("phase line at 60x20, stage tabs at 80x24, the wide layout at 120x40, then review at each size", async () => {
    await term.start("live", SIZES.small, `node ${BIN} run ${recipe()} --runs-dir ${runs}`);
    const phase = await term.waitForScreen(
      "live",
      (s) => /phase \d\/6 ● (environment|data|model)/.test(s),
      "the phase line",
    );
    assert.doesNotMatch(phase, /step 0\/\?/);
    assert.match(phase, /\[sft [○●]\] → dpo ○/);
    fits(phase, 60);
    keep("phase-60x20.txt", phase);

    const help = await (async () => {
      await term.keys("live", "?");
      return term.waitForScreen("live", (s) => /t +stage/.test(s) && /\/ +filter/.test(s), "the help");
    })();
    fits(help, 60);
    await term.keys("live", "Escape");

    await term.resize("live", SIZES.compact);
    await term.waitForScreen("live", (s) => /\[dpo ●\]/.test(s) && stepOf(s) > 5, "DPO training", RUN_TIMEOUT_MS);
    await term.keys("live", "t");
    const tab = await term.waitForScreen(
      "live",
      (s) => /\[sft ✓\] → dpo ●/.test(s) && /token accuracy/.test(s),
      "the SFT tab during DPO",
    );
    assert.match(tab, /step 80\/80 ▕█+▏ 100%/);
    assert.match(tab, BRAILLE, "SFT's curves kept");
    fits(tab, 80);
    keep("stage-tab-sft-80x24.txt", tab);
    await term.keys("live", "t");
    await term.waitForScreen("live", (s) => /sft ✓ → \[dpo ●\]/.test(s), "back on the live stage");

    await term.resize("live", SIZES.wide);
    const wide = await term.waitForScreen(
      "live",
      (s) => /│ stages/.test(s) && /pref acc 0\.\d\d → 0\.\d\d/.test(s) && stepOf(s) > 20,
      "the wide layout",
    );
    assert.match(wide, /rewards\/margins/);
    fits(wide, 120);
    keep("dashboard-sft-dpo-120x40.txt", wide);

    const end = await term.waitForScreen("live", (s) => /EXIT=\d+/.test(s), "the run to end", RUN_TIMEOUT_MS, true);
    assert.match(end, /EXIT=0/);
    assert.match(end, /pref acc 0\.\d\d → 0\.\d\d/, "preference accuracy per stage in the summary");
    const dir = onlyRun(runs);
    assert.equal(eventsOf(readEvents(path.join(dir, "events.jsonl")), "run_end")[0]?.status, "finished");
    const id = path.basename(dir);

    for (const [name, size] of Object.entries(SIZES)) {
      const session = `review-${name}`;
      await term.start(session, size, `node ${BIN} attach ${id} --runs-dir ${runs}`);
      const review = await term.waitForScreen(
        session,
        (s) => /review/.test(s) && /✓ finished/.test(s) && BRAILLE.test(s),
        `the review at ${size.columns}x${size.rows}`,
      );
      assert.match(review, /\[dpo ✓\]/);
      assert.match(review, /┌─ loss/);
      assert.match(review, /q exit/);
      fits(review, size.columns);
      keep(`review-sft-dpo-${size.columns}x${size.rows}.txt`, review);
      if (name === "compact") {
        await term.keys(session, "t");
        await term.waitForScreen(
          session,
          (s) => /\[sft ✓\]/.test(s) && /token accuracy/.test(s),
          "the SFT tab in review",
        );
        await term.keys(session, "e", "y");
        await term.waitForScreen(session, (s) => /ema 0\.6 log-y/.test(s), "smoothing and log-Y named");
      }
      await term.keys(session, "q");
      const summary = await term.waitForScreen(session, (s) => /EXIT=\d+/.test(s), "the summary after q", 60_000, true);
      assert.match(summary, /✓ run \S+ finished/);
      assert.match(summary, /EXIT=0/);
      fits(summary, size.columns);
      if (name === "small") {
        // At 60 columns the summary wraps between words (the terminal would cut them anywhere).
        assert.match(summary, /^ {2}held-out preference accuracy: 0\.\d\d → 0\.\d\d$/m);
        assert.match(summary, /^ {6}\S/m, "continuation lines indented");
        keep("final-summary-sft-dpo-60x20.txt", summary);
      }
    }

    const text = await trellis(["attach", id, "--summary", "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(text.exitCode, 0, text.stderr);
    assert.match(text.stdout, /^✓ run \S+ finished in \d:\d\d\n/);
    assert.match(text.stdout, /sft \(sft\)|1\/2 sft/);
  });
});
