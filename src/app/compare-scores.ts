/**
 * `trellis compare`'s reward-model and benchmark scores: checked when the comparison file is
 * loaded (before any arm trains), then run once every arm has finished, the starting model and
 * every arm scored alike. A scorer that fails leaves its reason in the report; the training
 * results stand. What was scored with (the reward model's revision and weights' sha256, the
 * harness version and each task file's sha256) is returned for compare.json and result.json.
 */
import path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { cachedFileDigest } from "../adapters/digest-cache.js";
import { localModelFolder, modelFolder } from "../adapters/model-files.js";
import { runModels, startModel } from "../adapters/stage-outputs.js";
import { baselineSamples, finalSamples, type ArmResult } from "../core/compare/arm-result.js";
import { RecipeError, type RecipeProblem } from "../core/recipe/errors.js";
import { SourceMap } from "../core/recipe/locate.js";
import { locate } from "../core/recipe/parse.js";
import { isTaskFile, type BenchmarkSpec, type RewardSpec } from "../core/eval/score-spec.js";
import type { EvaluationScores, TaskSource } from "../core/eval/score-summary.js";
import { BENCHMARK_EXTRA, runBenchmarks } from "./benchmarks.js";
import { modelUnavailable } from "./check-model.js";
import { scoreAnswers } from "./reward-scores.js";

export interface ScoreSettings {
  reward?: RewardSpec;
  benchmarks?: BenchmarkSpec;
}

/**
 * Problems with the comparison file's reward and benchmarks blocks, located at their lines: a
 * task file that is not there, a reward model that is neither a folder nor loadable from the Hub.
 */
export async function checkScoreSettings(
  s: ScoreSettings,
  file: string,
  shown: string,
  text: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const lines = new LineCounter();
  const map = new SourceMap(parseDocument(text, { lineCounter: lines }), lines);
  const dir = path.dirname(path.resolve(file));
  const problems: RecipeProblem[] = [];
  for (const [i, task] of (s.benchmarks?.tasks ?? []).entries()) {
    if (isTaskFile(task) && !(await cachedFileDigest(path.resolve(dir, task))))
      problems.push(
        locate(
          ["benchmarks", "tasks", i],
          `no task file ${task} (looked in ${dir}): name a task YAML file relative to the comparison file, or a harness task name such as hellaswag`,
          shown,
          map,
        ),
      );
  }
  if (s.reward?.model && !modelFolder(s.reward.model, s.reward.revision, dir, env)) {
    const problem = await modelUnavailable(s.reward.model, dir, env);
    if (problem) problems.push(locate(["reward", "model"], `reward model: ${problem}`, shown, map));
  }
  if (problems.length) throw new RecipeError(problems);
}

interface CompareScoresInput {
  settings: ScoreSettings;
  /** The comparison file's folder: relative reward folders and task files are found from it. */
  specDir: string;
  runsDir: string;
  arms: ReadonlyArray<{ name: string; runId: string; result: ArmResult }>;
  seed: number;
  /** A Python of the managed environment with these extras. */
  python: (extras: string[]) => Promise<string>;
  say: (line: string) => void;
}

/** What the scores were made with: for compare.json, so that a rerun can be checked against it. */
export interface ScoreRecord {
  reward: { name: string; revision: string | null; sha256: string | null; source: string } | null;
  benchmarks: { harness: string; version: string; tasks: TaskSource[] } | null;
}

export async function scoreComparison(
  i: CompareScoresInput,
): Promise<{ scores: EvaluationScores; record: ScoreRecord }> {
  const scores: EvaluationScores = { reward: null, benchmarks: null };
  const record: ScoreRecord = { reward: null, benchmarks: null };
  const why = (err: unknown) => (err as Error).message.split("\n")[0]!.slice(0, 600);
  if (i.settings.reward) {
    i.say(`scoring every model's answers with the reward model`);
    try {
      const summary = await rewardScores(i, i.settings.reward);
      scores.reward = summary;
      record.reward = { ...summary.model };
    } catch (err) {
      scores.reward = { error: why(err) };
      i.say(`no reward scores: ${why(err)}`);
    }
  }
  if (i.settings.benchmarks) {
    i.say(`running the benchmarks (lm-evaluation-harness) for the starting model and every arm`);
    try {
      const first = runModels(path.join(i.runsDir, i.arms[0]!.runId));
      const { summary, tasks } = await runBenchmarks({
        python: await i.python([BENCHMARK_EXTRA]),
        spec: i.settings.benchmarks,
        specDir: i.specDir,
        baseline: { name: "start", model: first.start },
        others: i.arms.map((a) => ({ name: a.name, ...runModels(path.join(i.runsDir, a.runId)).final })),
        seed: i.seed,
      });
      scores.benchmarks = summary;
      record.benchmarks = { harness: summary.harness.name, version: summary.harness.version, tasks };
    } catch (err) {
      scores.benchmarks = { error: why(err) };
      i.say(`no benchmark scores: ${why(err)}`);
    }
  }
  return { scores, record };
}

async function rewardScores(i: CompareScoresInput, reward: RewardSpec) {
  const base = i.arms.map((a) => baselineSamples(a.result)).find((s) => s?.length);
  if (!base)
    throw new Error(
      "the starting model's answers were not recorded: add a generations block to the comparison file (generations: { count: 20 })",
    );
  const others = i.arms.map((a) => {
    const samples = finalSamples(a.result);
    if (!samples?.length) throw new Error(`${a.name}'s final answers were not recorded`);
    return { name: a.name, samples };
  });
  const start = startModel(path.join(i.runsDir, i.arms[0]!.runId));
  const tiny = start.tiny as { data_files?: string[] } | null | undefined;
  return scoreAnswers({
    python: await i.python([]),
    reward,
    modelName: reward.model ? (localModelFolder(reward.model, i.specDir) ?? reward.model) : undefined,
    tinyDataFiles: tiny?.data_files ?? [],
    baseline: { name: "start", samples: base },
    others,
  });
}
