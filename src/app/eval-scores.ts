/**
 * `trellis eval`'s reward-model and benchmark sections, after the judge's: the same scorers
 * `trellis compare` runs (reward-scores.ts, benchmarks.ts), here on one run's models. The reward
 * model reads every model's answers to the eval's prompts; the benchmarks run for the starting
 * model and the final one. A scorer that fails leaves its reason in the report and eval.json; the
 * judge's result stands.
 */
import path from "node:path";
import { readAllEvents } from "../adapters/event-file.js";
import { localModelFolder } from "../adapters/model-files.js";
import { runFiles } from "../adapters/run-dir.js";
import { runModels, startModel } from "../adapters/stage-outputs.js";
import { armResult } from "../core/compare/arm-result.js";
import { scoresMarkdown, type ArmCost } from "../core/eval/score-report.js";
import type { BenchmarkSpec, RewardSpec } from "../core/eval/score-spec.js";
import type { EvaluationScores } from "../core/eval/score-summary.js";
import { BENCHMARK_EXTRA, runBenchmarks } from "./benchmarks.js";
import type { ScoreRecord } from "./compare-scores.js";
import { BASELINE, scoreAnswers } from "./reward-scores.js";

interface EvalScoresInput {
  reward?: RewardSpec;
  benchmarks?: BenchmarkSpec;
  /** The run evaluated, or null for a model folder (then `against` and `folder` are the models). */
  runDir: string | null;
  against?: string;
  folder?: string;
  prompts: readonly string[];
  /** Every model's answers, the starting model's under "start". */
  answers: Record<string, string[]>;
  /** The model the benchmarks score after training: the run's last stage (or "model"). */
  finalName: string;
  seed: number;
  python: (extras: string[]) => Promise<string>;
  say: (line: string) => void;
}

interface EvalScores {
  scores: EvaluationScores;
  record: ScoreRecord;
  /** The report's "Reward model and benchmarks" section. */
  section: string[];
}

export async function scoreEval(i: EvalScoresInput): Promise<EvalScores> {
  const scores: EvaluationScores = { reward: null, benchmarks: null };
  const record: ScoreRecord = { reward: null, benchmarks: null };
  const why = (err: unknown) => (err as Error).message.split("\n")[0]!.slice(0, 600);
  if (i.reward) {
    i.say("scoring every model's answers with the reward model");
    try {
      scores.reward = await rewardScores(i, i.reward);
      record.reward = { ...scores.reward.model };
    } catch (err) {
      scores.reward = { error: why(err) };
      i.say(`no reward scores: ${why(err)}`);
    }
  }
  if (i.benchmarks) {
    i.say("running the benchmarks (lm-evaluation-harness) for the starting model and the final one");
    try {
      const models = benchmarkModels(i);
      const { summary, tasks } = await runBenchmarks({
        python: await i.python([BENCHMARK_EXTRA]),
        spec: i.benchmarks,
        specDir: process.cwd(),
        baseline: { name: BASELINE, model: models.start },
        others: [{ name: i.finalName, ...models.final }],
        seed: i.seed,
      });
      scores.benchmarks = summary;
      record.benchmarks = { harness: summary.harness.name, version: summary.harness.version, tasks };
    } catch (err) {
      scores.benchmarks = { error: why(err) };
      i.say(`no benchmark scores: ${why(err)}`);
    }
  }
  const { costs, device } = await runCost(i);
  return { scores, record, section: scoresMarkdown(scores, costs, device) };
}

async function rewardScores(i: EvalScoresInput, reward: RewardSpec) {
  const samples = (name: string) => i.prompts.map((prompt, k) => ({ prompt, answer: i.answers[name]![k]! }));
  const start = i.runDir ? startModel(i.runDir) : null;
  const tiny = start?.tiny as { data_files?: string[] } | null | undefined;
  return scoreAnswers({
    python: await i.python([]),
    reward,
    modelName: reward.model ? (localModelFolder(reward.model, process.cwd()) ?? reward.model) : undefined,
    tinyDataFiles: tiny?.data_files ?? [],
    baseline: { name: BASELINE, samples: samples(BASELINE) },
    others: Object.keys(i.answers)
      .filter((name) => name !== BASELINE)
      .map((name) => ({ name, samples: samples(name) })),
  });
}

/** The starting and final models as the harness loads them (a stage spec's model block, an adapter). */
function benchmarkModels(i: EvalScoresInput): {
  start: Record<string, unknown>;
  final: { model: Record<string, unknown>; adapter: string | null };
} {
  if (i.runDir) {
    const m = runModels(i.runDir);
    return { start: m.start, final: m.final };
  }
  return { start: { name: i.against! }, final: { model: { name: path.resolve(i.folder!) }, adapter: null } };
}

/** The run's cost beside its final model's scores (none for a model folder). */
async function runCost(i: EvalScoresInput): Promise<{ costs: ArmCost[]; device: string }> {
  if (!i.runDir) return { costs: [], device: "device" };
  const run = armResult(i.finalName, await readAllEvents(runFiles(i.runDir).events));
  const gpu = run.stages.some((s) => s.device === "gpu");
  return { costs: [{ name: i.finalName, device_s: run.total.device_s }], device: gpu ? "GPU" : "CPU" };
}
