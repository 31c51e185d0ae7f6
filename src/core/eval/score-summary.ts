/**
 * From the raw answers of trellis_runtime.reward_score and trellis_runtime.benchmarks to what a
 * report shows: per model, the mean reward with its interval and the win rate against the
 * starting model's answers to the same prompts; per task, each model's score and its change from
 * the starting model's. Pure: the Python modules' output is checked here before it is trusted.
 */
import { delta, meanInterval, winRate, type Delta, type Interval, type WinRate } from "./score-stats.js";

/** What was loaded as the reward model: enough to tell later which weights gave the scores. */
interface RewardModelRecord {
  name: string;
  source: string;
  revision: string | null;
  sha256: string | null;
}

export interface RewardSummary {
  model: RewardModelRecord;
  /** Whether pairs went through the reward model's chat template (else prompt + answer). */
  chat_template: boolean;
  prompts: number;
  baseline: { mean: Interval; rewards: number[] };
  arms: Array<{
    name: string;
    mean: Interval;
    /** Per prompt: the arm's reward against the starting model's (ties a half). */
    win_rate: WinRate;
    /** Mean of the per-prompt differences (arm - start), with its paired t-interval. */
    difference: Interval;
    rewards: number[];
  }>;
}

export interface RawRewards {
  model: RewardModelRecord;
  chat_template: boolean;
  rewards: Record<string, number[]>;
}

export function summariseRewards(raw: RawRewards, baselineKey: string, arms: readonly string[]): RewardSummary {
  const base = raw.rewards[baselineKey];
  if (!base) throw new Error(`the reward scores have no ${baselineKey} set`);
  return {
    model: raw.model,
    chat_template: raw.chat_template,
    prompts: base.length,
    baseline: { mean: meanInterval(base), rewards: base },
    arms: arms.map((name) => {
      const rewards = raw.rewards[name];
      if (!rewards || rewards.length !== base.length)
        throw new Error(`the reward scores of ${name} do not match the starting model's prompts`);
      return {
        name,
        mean: meanInterval(rewards),
        win_rate: winRate(rewards, base),
        difference: meanInterval(rewards.map((r, i) => r - base[i]!)),
        rewards,
      };
    }),
  };
}

interface Score {
  value: number;
  stderr: number | null;
}

export interface RawBenchmarks {
  harness: { name: string; version: string };
  tasks: string[];
  /** model key -> task -> metrics */
  scores: Record<string, Record<string, { metrics: Record<string, Score>; samples: number | null }>>;
}

/** A task as the comparison file names it: a YAML file (with its bytes' sha256) or a harness name. */
export interface TaskSource {
  task: string;
  file: string | null;
  sha256: string | null;
}

interface BenchmarkRow {
  task: string;
  file: string | null;
  sha256: string | null;
  metric: string;
  samples: number | null;
  baseline: Score;
  arms: Array<{ name: string; score: Score; delta: Delta }>;
}

export interface BenchmarkSummary {
  harness: { name: string; version: string };
  rows: BenchmarkRow[];
}

/** One row per task and metric; `sources[i]` is the task the harness reported as `raw.tasks[i]`. */
export function summariseBenchmarks(
  raw: RawBenchmarks,
  sources: readonly TaskSource[],
  baselineKey: string,
  arms: readonly string[],
): BenchmarkSummary {
  const base = raw.scores[baselineKey];
  if (!base) throw new Error(`the benchmark scores have no ${baselineKey} model`);
  const rows: BenchmarkRow[] = [];
  for (const [i, task] of raw.tasks.entries()) {
    const source = sources[i] ?? { task, file: null, sha256: null };
    const before = base[task];
    if (!before) throw new Error(`the starting model has no score on ${task}`);
    for (const [metric, score] of Object.entries(before.metrics)) {
      rows.push({
        task,
        file: source.file,
        sha256: source.sha256,
        metric,
        samples: before.samples,
        baseline: score,
        arms: arms.map((name) => {
          const after = raw.scores[name]?.[task]?.metrics[metric];
          if (!after) throw new Error(`${name} has no ${metric} on ${task}`);
          return { name, score: after, delta: delta(after, score) };
        }),
      });
    }
  }
  return { harness: raw.harness, rows };
}

/** What one scorer gave: its summary, or why it gave none (the rest of the report stands). */
type Scored<T> = T | { error: string };
export const failed = <T extends object>(s: Scored<T> | null): s is { error: string } => s !== null && "error" in s;

export interface EvaluationScores {
  reward: Scored<RewardSummary> | null;
  benchmarks: Scored<BenchmarkSummary> | null;
}
