/**
 * The reward and benchmark arithmetic against hand-computed cases (each number worked out with
 * the formula in the comment, not by the code under test).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { delta, meanInterval, side, t95, wilson, winRate } from "../../../src/core/eval/score-stats.js";
import { readScores, scoresMarkdown, scoresPlain } from "../../../src/core/eval/score-report.js";
import { summariseBenchmarks, summariseRewards } from "../../../src/core/eval/score-summary.js";
import { BenchmarkSpec, RewardSpec } from "../../../src/core/eval/score-spec.js";
import { CompareSpec } from "../../../src/core/compare/spec.js";

const close = (a: number | null, b: number, eps = 1e-4) =>
  assert.ok(a !== null && Math.abs(a - b) < eps, `${a} is not ${b}`);

describe("mean with its 95% t-interval", () => {
  it("[1, 2, 3]: mean 2, sd 1, half-width t(2) 4.303 / sqrt 3 = 2.4843", () => {
    const m = meanInterval([1, 2, 3]);
    assert.equal(m.value, 2);
    close(m.low, -0.48434);
    close(m.high, 4.48434);
    assert.equal(m.n, 3);
  });
  it("one value has no interval; none has no mean", () => {
    assert.deepEqual(meanInterval([5]), { value: 5, low: null, high: null, n: 1 });
    assert.ok(Number.isNaN(meanInterval([]).value));
  });
  it("uses 1.96 past 30 degrees of freedom", () => {
    assert.equal(t95(1), 12.706);
    assert.equal(t95(30), 2.042);
    assert.equal(t95(31), 1.96);
  });
});

describe("win rate against the starting model", () => {
  it("2 wins, 1 tie, 1 loss of 4: 2.5 / 4 = 0.625, Wilson [0.2194, 0.9081]", () => {
    const w = winRate([3, 1, 2, 2], [1, 2, 2, 0]);
    assert.deepEqual([w.wins, w.ties, w.losses], [2, 1, 1]);
    assert.equal(w.value, 0.625);
    close(w.low, 0.21942);
    close(w.high, 0.9081);
  });
  it("a difference within the tolerance is a tie (the same answer in another batch)", () => {
    const w = winRate([1.000001], [1]);
    assert.equal(w.ties, 1);
    assert.equal(w.value, 0.5);
  });
  it("3 of 3 is not certainty: Wilson [0.4385, 1]", () => {
    const { low, high } = wilson(1, 3);
    close(low, 0.43849);
    assert.equal(high, 1);
  });
  it("refuses answers to different numbers of prompts", () => {
    assert.throws(() => winRate([1, 2], [1]), /one answer per prompt/);
  });
});

describe("benchmark change", () => {
  it("0.6 ± 0.05 after, 0.5 ± 0.05 before: +0.1, se 0.0707, [-0.0386, 0.2386]", () => {
    const d = delta({ value: 0.6, stderr: 0.05 }, { value: 0.5, stderr: 0.05 });
    close(d.value, 0.1);
    close(d.stderr, 0.070711);
    close(d.low, -0.038593);
    close(d.high, 0.238593);
    assert.equal(side(d, 0), 0);
  });
  it("no standard error, no interval", () => {
    assert.deepEqual(delta({ value: 1, stderr: null }, { value: 0.5, stderr: 0.1 }), {
      value: 0.5,
      stderr: null,
      low: null,
      high: null,
    });
  });
});

const model = { name: "tiny", source: "/x", revision: null, sha256: "ab" };
const rewards = summariseRewards(
  { model, chat_template: true, rewards: { start: [0, 0, 0, 0], good: [1, 1, 1, 1], bad: [-1, -2, -1, -3] } },
  "start",
  ["good", "bad"],
);
const benchmarks = summariseBenchmarks(
  {
    harness: { name: "lm-evaluation-harness", version: "0.4.13" },
    tasks: ["colours"],
    scores: {
      start: { colours: { metrics: { acc: { value: 0.5, stderr: 0.01 } }, samples: 80 } },
      good: { colours: { metrics: { acc: { value: 0.6, stderr: 0.01 } }, samples: 80 } },
      bad: { colours: { metrics: { acc: { value: 0.3, stderr: 0.01 } }, samples: 80 } },
    },
  },
  [{ task: "colours.yaml", file: "colours.yaml", sha256: "cd" }],
  "start",
  ["good", "bad"],
);

describe("summaries, report section and reading", () => {
  it("summarises rewards per arm against the start", () => {
    assert.equal(rewards.prompts, 4);
    assert.equal(rewards.arms[0]!.win_rate.value, 1);
    assert.equal(rewards.arms[1]!.win_rate.value, 0);
    assert.equal(rewards.arms[1]!.difference.value, -1.75);
    assert.throws(
      () => summariseRewards({ model, chat_template: false, rewards: { start: [1], x: [1, 2] } }, "start", ["x"]),
      /do not match/,
    );
  });
  it("keeps the task file and its sha256 beside the harness's task name", () => {
    const row = benchmarks.rows[0]!;
    assert.deepEqual(
      [row.task, row.file, row.sha256, row.metric, row.samples],
      ["colours", "colours.yaml", "cd", "acc", 80],
    );
    close(row.arms[1]!.delta.value, -0.2);
  });
  it("puts reward means, win rates and benchmark changes beside each arm's cost", () => {
    const md = scoresMarkdown(
      { reward: rewards, benchmarks },
      [
        { name: "good", device_s: 12.34 },
        { name: "bad", device_s: 5 },
      ],
      "CPU",
    ).join("\n");
    assert.match(md, /## Reward model and benchmarks/);
    assert.ok(
      md.includes(
        "| good | 1.0000 [1.0000, 1.0000] | 1.0000 [0.5101, 1.0000] | 4 / 0 / 0 | +1.0000 [1.0000, 1.0000] | 12.3 |",
      ),
      md,
    );
    assert.ok(md.includes("| | | | bad | 0.3000 ± 0.0100 | -0.2000 [-0.2277, -0.1723] | 5.0 |"), md);
    const plain = scoresPlain({ reward: rewards, benchmarks }).join("\n");
    assert.match(plain, /good {2}1\.0000 \[1\.0000, 1\.0000\]; win rate 1\.0000 \[0\.5101, 1\.0000\]/);
  });
  it("calls out the arm that ranks pairs best but loses reward and benchmark score", () => {
    const lines = readScores({ reward: rewards, benchmarks }, [
      { name: "good", accuracy: 0.6 },
      { name: "bad", accuracy: 0.9 },
    ]);
    assert.ok(lines.some((l) => /prefers good's answers/.test(l)));
    assert.ok(lines.some((l) => /bad lost colours score/.test(l)));
    assert.ok(
      lines.some((l) =>
        /^bad ranks the held-out pairs best, yet the reward model prefers the starting model's answers and it lost colours score/.test(
          l,
        ),
      ),
      lines.join("\n"),
    );
  });
  it("says why a scorer gave nothing instead of a table", () => {
    const md = scoresMarkdown({ reward: { error: "no answers" }, benchmarks: null }, [], "CPU").join("\n");
    assert.match(md, /No reward-model scores: no answers/);
    assert.deepEqual(scoresMarkdown({ reward: null, benchmarks: null }, [], "CPU"), []);
  });
});

describe("the comparison file's reward and benchmarks blocks", () => {
  const base = { name: "c", compare: ["a.yaml", "b.yaml"] };
  it("accepts a Hub or folder reward model, or a tiny one, and task files or names", () => {
    assert.ok(CompareSpec.safeParse({ ...base, reward: { model: "org/rm", revision: "main" } }).success);
    assert.ok(
      CompareSpec.safeParse({ ...base, reward: { tiny: {} }, benchmarks: { tasks: ["t.yaml", "hellaswag"] } }).success,
    );
  });
  it("names the field at fault", () => {
    const both = RewardSpec.safeParse({ model: "x", tiny: {} });
    assert.ok(!both.success && /exactly one of reward.model/.test(both.error.issues[0]!.message));
    const rev = RewardSpec.safeParse({ tiny: {}, revision: "main" });
    assert.ok(!rev.success && rev.error.issues.some((i) => i.path.join(".") === "revision"));
    const none = BenchmarkSpec.safeParse({ tasks: [] });
    assert.ok(!none.success && none.error.issues[0]!.path.join(".") === "tasks");
    const typo = CompareSpec.safeParse({ ...base, benchmarks: { tasks: ["x"], limt: 3 } });
    assert.ok(!typo.success);
  });
});
