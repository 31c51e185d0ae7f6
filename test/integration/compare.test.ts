/**
 * The quickstart comparison, run for real (ORPO against SFT then DPO, real TRL on the CPU, the
 * matplotlib extra for the plot): one comparison, and everything the report claims checked
 * against the arms' own events.jsonl. UPDATE_COMPARE_EXAMPLE=1 copies the report and its plot
 * to docs/compare-example/, which the README shows.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { decodePng } from "../../src/adapters/png.js";
import { PLOT } from "../../src/app/compare.js";
import type { RunEvent } from "../../src/core/events/protocol.js";
import { eventsOf, readEvents, RECIPES, ROOT, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("compare");
const runs = path.join(ws.dir, "runs");

interface CompareEnd {
  type: "compare_end";
  id: string;
  dir: string;
  status: string;
  report: string;
  arms: Array<{ name: string; run_id: string }>;
}

let end: CompareEnd;
let report: string;
const arms = new Map<string, RunEvent[]>();

before(
  async () => {
    const result = await trellis(
      ["compare", path.join(RECIPES, "quickstart-compare.yaml"), "--runs-dir", runs, "--json"],
      { cwd: ws.dir, env: ws.env },
    );
    assert.equal(result.exitCode, 0, result.stderr);
    end = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as CompareEnd;
    assert.equal(end.type, "compare_end");
    report = readFileSync(end.report, "utf8");
    for (const a of end.arms) arms.set(a.name, readEvents(path.join(runs, a.run_id, "events.jsonl")));
    if (process.env.UPDATE_COMPARE_EXAMPLE) {
      const out = path.join(ROOT, "docs", "compare-example");
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, "report.md"), report);
      copyFileSync(path.join(end.dir, "plot.png"), path.join(out, "plot.png"));
    }
  },
  { timeout: RUN_TIMEOUT_MS },
);

/** The cells of the table row whose first cell is `first` (the first such row after `heading`). */
function row(heading: string, first: string): string[] {
  const section = report.slice(report.indexOf(heading));
  const line = section.split("\n").find((l) => l.startsWith(`| ${first} |`));
  assert.ok(line, `no row '${first}' under ${heading}`);
  return line
    .split("|")
    .slice(1, -1)
    .map((c) => c.trim().replace(/\*\*/g, ""));
}

const f4 = (v: number | null | undefined) => (v === null || v === undefined ? "-" : v.toFixed(4));
const scoreCells = (e: Extract<RunEvent, { type: "preference_eval" }>) => [
  f4(e.accuracy),
  f4(e.accuracy_sum),
  f4(e.margin),
  f4(e.margin_sum),
  f4(e.chosen_nll),
];

describe("trellis compare on the quickstart arms", { timeout: RUN_TIMEOUT_MS }, () => {
  it("runs both arms to the end, each an ordinary run", () => {
    assert.equal(end.status, "finished");
    assert.deepEqual(
      end.arms.map((a) => a.name),
      ["quickstart-orpo", "quickstart-sft-dpo"],
    );
    for (const events of arms.values()) assert.equal(eventsOf(events, "run_end")[0]?.status, "finished");
  });

  it("reports each arm's held-out scores exactly as its events have them, the starting model first", () => {
    const orpo = arms.get("quickstart-orpo")!;
    const baseline = eventsOf(orpo, "preference_eval").find((e) => e.when === "before")!;
    assert.deepEqual(row("## Held-out scores", "starting model (baseline)").slice(1), scoreCells(baseline));
    for (const [name, events] of arms) {
      const final = eventsOf(events, "preference_eval").findLast((e) => e.when === "after")!;
      assert.deepEqual(row("## Held-out scores", name).slice(1), scoreCells(final), name);
      // Every arm scored the same starting model on the same pairs the same way.
      assert.deepEqual(
        scoreCells(eventsOf(events, "preference_eval").find((e) => e.when === "before")!),
        scoreCells(baseline),
      );
    }
  });

  it("has the starting model near chance and both trained arms above it", () => {
    const acc = (name: string) => Number(row("## Held-out scores", name)[1]);
    const base = acc("starting model (baseline)");
    assert.ok(base >= 0.35 && base <= 0.65, `baseline ${base}`);
    for (const name of arms.keys()) assert.ok(acc(name) > base + 0.15, `${name} ${acc(name)} against ${base}`);
  });

  it("reports each stage's cost as its events have it, and each arm's total", () => {
    for (const [name, events] of arms) {
      let device = 0;
      let tokens = 0;
      let wall = 0;
      for (const end of eventsOf(events, "stage_end")) {
        const usage = eventsOf(events, "usage", end.stage).at(-1)!;
        const first = events.find((e) => e.stage === end.stage)!;
        const steps = eventsOf(events, "metrics", end.stage).at(-1)!.step;
        const cells = report
          .split("\n")
          .find((l) => l.startsWith(`| ${name} | ${end.stage} |`))!
          .split("|")
          .slice(1, -1)
          .map((c) => c.trim());
        assert.deepEqual(
          cells.slice(3),
          [
            String(steps),
            (end.time - first.time).toFixed(1),
            usage.device_s.toFixed(1),
            String(Math.round(usage.tokens)),
          ],
          `${name} ${end.stage}`,
        );
        assert.equal(usage.device, "cpu");
        assert.ok(usage.device_s > 0 && usage.tokens > 0);
        device += usage.device_s;
        tokens += usage.tokens;
        wall += end.time - first.time;
      }
      assert.deepEqual(
        row("## Cost", `**${name}**`).slice(4),
        [wall.toFixed(1), device.toFixed(1), String(Math.round(tokens))],
        `${name} total`,
      );
    }
    assert.match(
      report,
      /\| quickstart-sft-dpo \| sft \| sft \|.*\n\| quickstart-sft-dpo \| dpo \| dpo \|/,
      "SFT and DPO each have a row: ORPO's one stage against both",
    );
  });

  it("draws the plot: a PNG that decodes, of the expected size, linked from the report", () => {
    const png = decodePng(path.join(end.dir, "plot.png"));
    assert.deepEqual([png.width, png.height], [PLOT.width, PLOT.height]);
    assert.match(report, /!\[[^\]]+\]\(plot\.png\)/);
  });

  it("generates for the same prompts before, during and after training, and the arms answer differently from the start", () => {
    const answers = (events: RunEvent[], when: string) =>
      eventsOf(events, "generations").filter((g) => g.when === when);
    const baseline = answers(arms.get("quickstart-orpo")!, "before")[0]!;
    assert.equal(baseline.samples.length, 3);
    for (const [name, events] of arms) {
      assert.ok(answers(events, "step").length >= 1, `${name}: generations every 80 steps`);
      const final = answers(events, "after").at(-1)!;
      assert.deepEqual(
        final.samples.map((s) => s.prompt),
        baseline.samples.map((s) => s.prompt),
        `${name}: the same prompts`,
      );
      assert.notDeepEqual(
        final.samples.map((s) => s.answer),
        baseline.samples.map((s) => s.answer),
        `${name} answers like the starting model`,
      );
      for (const s of final.samples)
        assert.ok(
          report.includes(`| ${name} | \`${s.answer.trim().replace(/\|/g, "\\|")}\` |`) || s.answer.trim() === "",
          `${name}'s answer in the report`,
        );
    }
  });

  it("reads the result against the rules of thumb", () => {
    assert.match(report, /\*\*Before running\*\*.*320 pairs/s);
    assert.match(report, /a base model: .*leans ORPO/);
    assert.match(report, /\*\*What the measurement says:\*\*\n\n- The starting model prefers the chosen answer on/);
  });

  it("resumes a finished comparison without training again, and rebuilds the same report from the events", async () => {
    const again = await trellis(["compare", "--resume", end.id, "--runs-dir", runs, "--plain"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(again.exitCode, 0, again.stderr);
    assert.match(again.stderr, /arm quickstart-orpo: finished earlier/);
    assert.match(again.stderr, /arm quickstart-sft-dpo: finished earlier/);
    assert.equal(readFileSync(end.report, "utf8"), report);
  });

  it("refuses arms that train on different data, naming the field", async () => {
    const other = path.join(ws.dir, "other-data.yaml");
    const text = readFileSync(path.join(RECIPES, "quickstart-sft-dpo.yaml"), "utf8")
      .replace("train: data/colors-train.jsonl", `train: ${path.join(RECIPES, "data", "colors-eval.jsonl")}`)
      .replace(/eval: data\//, `eval: ${path.join(RECIPES, "data")}/`);
    writeFileSync(other, text);
    const bad = await trellis(["compare", path.join(RECIPES, "quickstart-orpo.yaml"), other, "--runs-dir", runs], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(bad.exitCode, 2, bad.stderr);
    assert.match(
      bad.stderr,
      /the arms differ in data: quickstart-orpo has data\.train\.files = .*colors-train\.jsonl.*; quickstart-sft-dpo has data\.train\.files = .*colors-eval\.jsonl.*compare needs the same training pairs/,
    );
  });

  it("advises before anything runs, from the data and the model alone", async () => {
    const advice = await trellis(
      ["compare", "--advise", path.join(RECIPES, "quickstart-compare.yaml"), "--runs-dir", runs],
      { cwd: ws.dir, env: ws.env },
    );
    assert.equal(advice.exitCode, 0, advice.stderr);
    assert.match(advice.stdout, /320 pairs: little preference data/);
    assert.match(advice.stdout, /planned compute quickstart-orpo 1x, quickstart-sft-dpo \d\.\d\dx/);
  });
});
