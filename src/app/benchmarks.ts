/**
 * Benchmark scores through lm-evaluation-harness (the lm-eval extra): every model answers the same
 * tasks (local task YAML files, recorded with their sha256, and harness task names) with the same
 * settings, through trellis_runtime.benchmarks, summarised as each model's score and its change
 * from the starting model's. `trellis compare` calls it; so can `trellis eval`.
 */
import path from "node:path";
import { cachedFileDigest } from "../adapters/digest-cache.js";
import { runRuntimeModule } from "../adapters/runtime-module.js";
import { isTaskFile, type BenchmarkSpec } from "../core/eval/score-spec.js";
import {
  summariseBenchmarks,
  type BenchmarkSummary,
  type RawBenchmarks,
  type TaskSource,
} from "../core/eval/score-summary.js";
import { BASELINE } from "./reward-scores.js";

/** The extra whose environment runs the harness. */
export const BENCHMARK_EXTRA = "lm-eval";

/** A model as a stage spec names it ({name} or {tiny}, revision, dtype), and a LoRA adapter on it. */
interface BenchmarkModel {
  name: string;
  model: Record<string, unknown>;
  adapter?: string | null;
}

interface RunBenchmarksInput {
  /** A Python of the environment with the lm-eval extra. */
  python: string;
  spec: BenchmarkSpec;
  /** Where relative task files are (the comparison file's folder). */
  specDir: string;
  baseline: BenchmarkModel;
  others: BenchmarkModel[];
  seed?: number;
  env?: Record<string, string>;
}

interface BenchmarkResult {
  summary: BenchmarkSummary;
  /** The tasks as run: files with their bytes' sha256 (what reproducing them needs). */
  tasks: TaskSource[];
}

export async function runBenchmarks(i: RunBenchmarksInput): Promise<BenchmarkResult> {
  const sources = await taskSources(i.spec.tasks, i.specDir);
  const request = {
    models: Object.fromEntries(
      [[BASELINE, i.baseline] as const, ...i.others.map((o) => [o.name, o] as const)].map(([key, m]) => [
        key,
        { ...m.model, adapter: m.adapter ?? null },
      ]),
    ),
    tasks: sources.map((s) => (s.file ? { file: path.resolve(i.specDir, s.file) } : s.task)),
    limit: i.spec.limit ?? null,
    num_fewshot: i.spec.num_fewshot ?? null,
    batch_size: i.spec.batch_size ?? null,
    seed: i.seed ?? 0,
  };
  const raw = (await runRuntimeModule(i.python, "benchmarks", request, { env: i.env })) as unknown as RawBenchmarks;
  // The harness reports a local file under its `task:` name: keep the file beside it.
  const named = raw.tasks.map((task, k) => ({ ...sources[k]!, task }));
  return {
    summary: summariseBenchmarks(
      raw,
      named,
      BASELINE,
      i.others.map((o) => o.name),
    ),
    tasks: named,
  };
}

/** Each task as given, a YAML file with its sha256 (null when it cannot be read: the harness says why). */
async function taskSources(tasks: readonly string[], specDir: string): Promise<TaskSource[]> {
  return Promise.all(
    tasks.map(async (task) => {
      if (!isTaskFile(task)) return { task, file: null, sha256: null };
      const digest = await cachedFileDigest(path.resolve(specDir, task));
      return { task, file: task, sha256: digest?.sha256 ?? null };
    }),
  );
}
