/**
 * The quickstart comparison with reward-model scores and a benchmark, run for real (a matrix cell:
 * `node scripts/test-matrix.mjs compare-scores`, a few minutes, the lm-eval extra installed the
 * first time): both arms trained with TRL on the CPU, their answers and the starting model's scored
 * by a tiny reward model built here, and all three models run through lm-evaluation-harness on
 * the local colour task. Every number in the report's scores section is checked against the
 * arms' own events and result.json; what was scored with is in compare.json.
 * UPDATE_COMPARE_EXAMPLE=1 copies the report and its plot to docs/compare-scores-example/.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import type { EvaluationScores, RewardSummary, BenchmarkSummary } from "../../src/core/eval/score-summary.js";
import { RECIPES, ROOT, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { createHash } from "node:crypto";

// Minutes of training and three harness runs: the matrix cell only, not `npm test`.
const FULL = process.env.TRELLIS_MATRIX === "full";
const ws = workspace("compare-scores");
const runs = path.join(ws.dir, "runs");
let end: { id: string; dir: string; report: string; evaluation: EvaluationScores };
let report: string;
let stderr: string;

before(
  async () => {
    if (!FULL) return;
    const result = await trellis(
      ["compare", path.join(RECIPES, "quickstart-compare-scores.yaml"), "--runs-dir", runs, "--json"],
      { cwd: ws.dir, env: ws.env },
    );
    assert.equal(result.exitCode, 0, result.stderr);
    stderr = result.stderr;
    end = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as typeof end;
    report = readFileSync(end.report, "utf8");
    if (process.env.UPDATE_COMPARE_EXAMPLE) {
      const out = path.join(ROOT, "docs", "compare-scores-example");
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, "report.md"), report);
      copyFileSync(path.join(end.dir, "plot.png"), path.join(out, "plot.png"));
    }
  },
  { timeout: 3 * RUN_TIMEOUT_MS },
);

const cells = (line: string) =>
  line
    .split("|")
    .slice(1, -1)
    .map((c) => c.trim());

describe(
  "trellis compare with a reward model and a benchmark",
  {
    timeout: 3 * RUN_TIMEOUT_MS,
    skip: !FULL && "TRELLIS_MATRIX=full only (node scripts/test-matrix.mjs compare-scores)",
  },
  () => {
    it("scores the starting model and both arms with the reward model, on the same 20 prompts", () => {
      const reward = end.evaluation.reward as RewardSummary;
      assert.ok(reward && !("error" in reward), JSON.stringify(end.evaluation.reward));
      assert.equal(reward.prompts, 20);
      assert.deepEqual(
        reward.arms.map((a) => a.name),
        ["quickstart-orpo", "quickstart-sft-dpo"],
      );
      for (const a of reward.arms) {
        assert.equal(a.rewards.length, 20);
        const w = a.win_rate;
        assert.equal(w.wins + w.ties + w.losses, 20);
        // The win rate is the per-prompt comparison of the recorded rewards.
        const wins = a.rewards.filter((r, i) => r - reward.baseline.rewards[i]! > 1e-5).length;
        assert.equal(w.wins, wins);
        const line = report.split("\n").find((l) => l.startsWith(`| ${a.name} | ${a.mean.value.toFixed(4)}`));
        assert.ok(line, `no reward row for ${a.name}`);
        assert.equal(cells(line)[3], `${w.wins} / ${w.ties} / ${w.losses}`);
      }
      assert.match(report, /\| starting model \| -?\d\.\d{4} \[/);
      assert.match(report, /tiny one with random weights/);
    });

    it("runs the local harness task for all three models, before and after, with the harness's stderr", () => {
      const b = end.evaluation.benchmarks as BenchmarkSummary;
      assert.ok(b && !("error" in b), JSON.stringify(end.evaluation.benchmarks));
      const row = b.rows.find((r) => r.metric === "acc")!;
      assert.equal(row.task, "trellis_colours_mc");
      assert.equal(row.samples, 80);
      for (const a of row.arms) {
        assert.ok(a.score.value >= 0 && a.score.value <= 1);
        assert.ok(Math.abs(a.delta.value - (a.score.value - row.baseline.value)) < 1e-9);
        assert.match(report, new RegExp(`\\| \\| \\| \\| ${a.name} \\| ${a.score.value.toFixed(4)} ± `));
      }
      // Trained on the same colours, both arms answer the four-way questions better than the start.
      for (const a of row.arms) assert.ok(a.delta.value > 0, `${a.name}: ${a.delta.value}`);
    });

    it("records the reward model's weights and the task file's sha256 in compare.json", () => {
      const record = JSON.parse(readFileSync(path.join(end.dir, "compare.json"), "utf8")) as {
        evaluation: {
          reward: { sha256: string };
          benchmarks: { version: string; tasks: Array<{ file: string; sha256: string }> };
        };
      };
      assert.match(record.evaluation.reward.sha256, /^[0-9a-f]{64}$/);
      assert.match(record.evaluation.benchmarks.version, /^0\.4\.\d+/);
      const task = record.evaluation.benchmarks.tasks[0]!;
      const bytes = readFileSync(path.join(RECIPES, task.file));
      assert.equal(task.sha256, createHash("sha256").update(bytes).digest("hex"));
    });

    it("reads the scores beside the held-out accuracy", () => {
      const reading = report.slice(report.indexOf("**What the measurement says:**"));
      assert.match(reading, /trellis_colours_mc score/);
      assert.match(reading, /reward model/);
      assert.match(stderr, /running the benchmarks \(lm-evaluation-harness\)/);
    });

    it("shows the scores under the plain compare view", async () => {
      const shown = await trellis(["compare", "--show", end.id, "--runs-dir", runs, "--plain"], {
        cwd: ws.dir,
        env: ws.env,
      });
      assert.equal(shown.exitCode, 0, shown.stderr);
      assert.match(shown.stderr, /reward \(tiny, 20 prompts\)/);
      assert.match(shown.stderr, /quickstart-orpo {2}-?\d\.\d{4} \[.*\]; win rate/);
      assert.match(shown.stderr, /benchmark trellis_colours_mc acc \(80 questions\): start \d\.\d{4}/);
    });
  },
);
