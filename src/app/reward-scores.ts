/**
 * Reward-model scores of answers to the same prompts: the starting model's and each other
 * model's (a comparison's arms, or one run's final model), through trellis_runtime.reward_score
 * in the managed environment, summarised as mean rewards and win rates against the start.
 * `trellis compare` calls it; so can `trellis eval`.
 */
import { runRuntimeModule } from "../adapters/runtime-module.js";
import type { RewardSpec } from "../core/eval/score-spec.js";
import { summariseRewards, type RawRewards, type RewardSummary } from "../core/eval/score-summary.js";

interface AnswerSet {
  name: string;
  samples: ReadonlyArray<{ prompt: string; answer: string }>;
}

interface ScoreAnswersInput {
  /** A Python with the managed environment's packages (transformers, torch). */
  python: string;
  reward: RewardSpec;
  /** reward.model as loaded: a folder made absolute, or the Hub name (see rewardModelName). */
  modelName?: string;
  /** Files whose text trains a tiny reward model's tokenizer (the arms' training data). */
  tinyDataFiles?: string[];
  baseline: AnswerSet;
  others: AnswerSet[];
  env?: Record<string, string>;
}

/** The starting model's answers are the set named "start"; the others keep their names. */
export const BASELINE = "start";

export async function scoreAnswers(i: ScoreAnswersInput): Promise<RewardSummary> {
  const prompts = i.baseline.samples.map((s) => s.prompt);
  for (const other of i.others) {
    const theirs = other.samples.map((s) => s.prompt);
    if (theirs.length !== prompts.length || theirs.some((p, k) => p !== prompts[k]))
      throw new Error(
        `${other.name} answered other prompts than the starting model (${theirs.length} against ${prompts.length}): reward scores compare answers to the same prompts`,
      );
    if (other.name === BASELINE) throw new Error(`a model may not be named '${BASELINE}' (the starting model's set)`);
  }
  const model = i.reward.tiny
    ? { tiny: { ...i.reward.tiny, data_files: i.tinyDataFiles ?? [] } }
    : { name: i.modelName ?? i.reward.model, revision: i.reward.revision ?? null };
  const request = {
    model,
    batch_size: i.reward.batch_size,
    max_length: i.reward.max_length,
    sets: Object.fromEntries([[BASELINE, i.baseline.samples], ...i.others.map((o) => [o.name, o.samples] as const)]),
  };
  const raw = (await runRuntimeModule(i.python, "reward_score", request, { env: i.env })) as unknown as RawRewards;
  return summariseRewards(
    raw,
    BASELINE,
    i.others.map((o) => o.name),
  );
}
