/**
 * The reward-model half of compare's scores with real components: a tiny reward model built by
 * trellis_runtime.tiny, scoring answers through trellis_runtime.reward_score in the managed
 * environment (scoreAnswers, as compare and trellis eval call it); and the comparison file's
 * reward/benchmarks blocks refused at their lines before anything trains. The harness half runs
 * in the compare-scores matrix cell (test/integration/compare-scores.test.ts).
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { loadComparison } from "../../src/app/compare-arms.js";
import { scoreAnswers } from "../../src/app/reward-scores.js";
import { RecipeError, formatProblem } from "../../src/core/recipe/errors.js";
import { RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("compare-scores");
let python: string;

before(
  async () => {
    const doctor = await trellis(["env", "doctor", "--json"], { cwd: ws.dir, env: ws.env });
    python = path.join((JSON.parse(doctor.stdout) as { venv: { dir: string } }).venv.dir, "bin", "python");
  },
  { timeout: RUN_TIMEOUT_MS },
);

describe("reward-model scores (a real tiny reward model)", () => {
  it("scores every set of answers to the same prompts and summarises them against the start", async () => {
    const prompts = ["What colour is the snow?", "What colour is the grass?", "What colour is the sky?"];
    const start = prompts.map((prompt) => ({ prompt, answer: " ????" }));
    const arm = prompts.map((prompt, i) => ({ prompt, answer: [" The snow is white.", " green", " blue"][i]! }));
    const summary = await scoreAnswers({
      python,
      reward: { tiny: {}, batch_size: 2 },
      tinyDataFiles: [path.join(RECIPES, "data", "colors-train.jsonl")],
      baseline: { name: "start", samples: start },
      others: [
        { name: "arm", samples: arm },
        { name: "same", samples: start },
      ],
      env: { ...process.env, ...ws.env } as Record<string, string>,
    });
    assert.equal(summary.prompts, 3);
    assert.equal(summary.chat_template, true);
    assert.match(summary.model.sha256 ?? "", /^[0-9a-f]{64}$/);
    const [armRow, same] = summary.arms;
    assert.equal(armRow!.rewards.length, 3);
    assert.equal(armRow!.win_rate.wins + armRow!.win_rate.ties + armRow!.win_rate.losses, 3);
    // The same answers as the start's, scored in the same batches: every prompt a tie, 50%.
    assert.deepEqual([same!.win_rate.ties, same!.win_rate.value], [3, 0.5]);
    assert.ok(Math.abs(same!.difference.value) < 1e-5);
  });

  it("refuses answers to other prompts than the start's", async () => {
    await assert.rejects(
      scoreAnswers({
        python,
        reward: { tiny: {} },
        baseline: { name: "start", samples: [{ prompt: "a", answer: "x" }] },
        others: [{ name: "arm", samples: [{ prompt: "b", answer: "y" }] }],
      }),
      /arm answered other prompts than the starting model/,
    );
  });
});

describe("the comparison file's reward and benchmarks blocks", () => {
  for (const f of ["quickstart-orpo.yaml", "quickstart-sft-dpo.yaml"])
    copyFileSync(path.join(RECIPES, f), path.join(ws.dir, f));
  mkdirSync(path.join(ws.dir, "data"), { recursive: true });
  for (const f of ["colors-train.jsonl", "colors-eval.jsonl"])
    copyFileSync(path.join(RECIPES, "data", f), path.join(ws.dir, "data", f));

  async function problems(body: string): Promise<string[]> {
    const file = path.join(ws.dir, "c.yaml");
    writeFileSync(file, `name: c\ncompare: [quickstart-orpo.yaml, quickstart-sft-dpo.yaml]\n${body}`);
    try {
      await loadComparison([file], path.join(ws.dir, "runs"));
    } catch (err) {
      assert.ok(err instanceof RecipeError, String(err));
      return err.problems.map(formatProblem);
    }
    return [];
  }

  it("names a missing task file at its line", async () => {
    const found = await problems("benchmarks:\n  tasks:\n    - hellaswag\n    - nope/missing.yaml\n");
    assert.equal(found.length, 1);
    assert.match(found[0]!, /c\.yaml:6.*benchmarks\.tasks\[1\].*no task file nope\/missing\.yaml/);
  });

  it("names a reward model that is neither a folder nor in the Hub cache, offline", async () => {
    const saved = process.env.HF_HUB_OFFLINE;
    process.env.HF_HUB_OFFLINE = "1";
    try {
      const found = await problems("reward:\n  model: nobody/no-such-reward-model\n");
      assert.match(found[0]!, /c\.yaml:4.*reward\.model.*not in the Hugging Face cache.*HF_HUB_OFFLINE/);
    } finally {
      if (saved === undefined) delete process.env.HF_HUB_OFFLINE;
      else process.env.HF_HUB_OFFLINE = saved;
    }
  });

  it("takes a reward model and local task files that are there", async () => {
    copyFileSync(path.join(RECIPES, "data", "benchmarks", "colours-mc.yaml"), path.join(ws.dir, "t.yaml"));
    assert.deepEqual(await problems("reward: { tiny: {} }\nbenchmarks: { tasks: [t.yaml] }\n"), []);
  });
});
