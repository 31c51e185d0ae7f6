/**
 * `trellis eval`: the starting model and a finished run's model after each stage (or a model
 * folder and the model given with --against), answering the same prompts, then judged pairwise,
 * each answer shown first once. The sections run in order, each its own step with its own part of
 * the report and of eval.json: answers → judge (reward-model scores and benchmarks come after).
 *
 * Answers: a run's own `generations` events when it recorded them (the start model's "before",
 * each stage's "after": greedy, by generate.py), else, or with --prompts, generated now by the
 * same code (python/trellis_runtime/evaluate.py). Verdicts: judge-models.ts (judge.py), shared with compare.
 * The arithmetic: src/core/eval. Written to <run>/eval/ (or --out): report.md, eval.json (the
 * result and the record that reproduces it: judge, judge prompt text and sha256, versions,
 * seed), spec.json, verdicts.json and eval.log; the run's manifest.json lists the evaluation.
 */
import path from "node:path";
import { fileExists, readTextFile, writeTextFile } from "../adapters/eval-files.js";
import { readAllEvents } from "../adapters/event-file.js";
import { runFiles, specFile } from "../adapters/run-dir.js";
import type { RunEvent } from "../core/events/protocol.js";
import { parsePrompts } from "../core/eval/prompts.js";
import { evalMarkdown, type EvalResult } from "../core/eval/report.js";
import { readPreparedRun } from "./prepared-run.js";
import { recordEvaluation } from "./manifest.js";
import { scoreEval } from "./eval-scores.js";
import type { BenchmarkSpec, RewardSpec } from "../core/eval/score-spec.js";
import { EvalRefused, judgeModels, type JudgeChoice, type ModelSource } from "./judge-models.js";

export const DEFAULT_MAX_NEW_TOKENS = 64;

interface EvalOptions {
  /** A run id (or prefix, or "latest") under runsDir, or a model folder. */
  target: string;
  runsDir: string;
  /** The model a model folder is measured against (a folder or a Hub name). */
  against?: string;
  promptsFile?: string;
  judge: JudgeChoice;
  judgePromptFile?: string;
  out?: string;
  maxNewTokens?: number;
  seed: number;
  python: () => Promise<string>;
  findRun: (runsDir: string, query: string) => string;
  say: (line: string) => void;
  signal?: AbortSignal;
  /** After the judge: a reward model's scores of every model's answers (eval-scores.ts). */
  reward?: RewardSpec;
  /** After the judge: lm-evaluation-harness tasks for the starting model and the final one. */
  benchmarks?: BenchmarkSpec;
  /** A Python of the managed environment with these extras (the benchmarks need lm-eval's). */
  pythonWith?: (extras: string[]) => Promise<string>;
}

interface EvalOutcome {
  dir: string;
  report: string;
  result: EvalResult;
}

/** What one `trellis eval` compares, worked out before any model answers. */
interface EvalSetup {
  title: string;
  runDir: string | null;
  out: string;
  prompts: string[];
  /** In report order, the starting model first. */
  models: Array<{ name: string; source: string }>;
  given: Record<string, string[]>;
  toAnswer: Record<string, ModelSource>;
  pairs: Array<[string, string]>;
  maxNewTokens: number;
}

export async function runEval(o: EvalOptions): Promise<EvalOutcome> {
  const setup = await prepareEval(o);
  if (o.maxNewTokens !== undefined && !Object.keys(setup.toAnswer).length)
    o.say("--max-new-tokens applies to answers generated now; the run's recorded answers are used as they are");
  const judged = await judgeModels({
    out: setup.out,
    models: setup.models,
    prompts: setup.prompts,
    given: setup.given,
    toAnswer: setup.toAnswer,
    pairs: setup.pairs,
    maxNewTokens: setup.maxNewTokens,
    judge: o.judge,
    judgePromptFile: o.judgePromptFile,
    seed: o.seed,
    python: o.python,
    say: o.say,
    signal: o.signal,
  });
  const scored =
    o.reward || o.benchmarks
      ? await scoreEval({
          reward: o.reward,
          benchmarks: o.benchmarks,
          runDir: setup.runDir,
          against: o.against,
          folder: o.target,
          prompts: judged.result.prompts,
          answers: judged.result.answers,
          finalName: setup.models.at(-1)!.name,
          seed: o.seed,
          python: o.pythonWith ?? (async () => o.python()),
          say: o.say,
        })
      : null;
  const report = path.join(setup.out, "report.md");
  const markdown = evalMarkdown(judged.result, setup.title);
  writeTextFile(report, scored ? `${markdown.trimEnd()}\n\n${scored.section.join("\n").trimEnd()}\n` : markdown);
  const record = {
    ...judged.record,
    target: setup.runDir ? path.basename(setup.runDir) : o.target,
    prompts_file: o.promptsFile ? path.resolve(o.promptsFile) : null,
  };
  writeTextFile(
    path.join(setup.out, "eval.json"),
    `${JSON.stringify(
      {
        sections: ["answers", "judge", ...(o.reward ? ["reward"] : []), ...(o.benchmarks ? ["benchmarks"] : [])],
        ...judged.result,
        ...(scored ? { evaluation: scored.scores } : {}),
        manifest: { ...record, ...(scored ? { scored_with: scored.record } : {}) },
      },
      null,
      2,
    )}\n`,
  );
  if (setup.runDir) {
    const { judge_prompt: prompt, ...rest } = record;
    recordEvaluation(setup.runDir, { dir: setup.out, ...rest, judge_prompt_sha256: prompt.sha256 });
  }
  return { dir: setup.out, report, result: judged.result };
}

async function prepareEval(o: EvalOptions): Promise<EvalSetup> {
  const prompts = o.promptsFile ? parsePrompts(readPromptsFile(o.promptsFile), o.promptsFile) : null;
  const folder = path.resolve(o.target);
  if (fileExists(path.join(folder, "config.json")) || fileExists(path.join(folder, "adapter_config.json"))) {
    if (!o.against)
      throw new EvalRefused(
        `${o.target} is a model folder: name the model to measure it against with --against (a folder or a Hub name, e.g. the model it was trained from)`,
      );
    if (!prompts) throw new EvalRefused("a model folder has no recorded prompts: give them with --prompts FILE");
    return {
      title: `trellis eval: ${path.basename(folder)} against ${o.against}`,
      runDir: null,
      out: path.resolve(o.out ?? path.join(folder, "trellis-eval")),
      prompts,
      models: [
        { name: "start", source: o.against },
        { name: "model", source: folder },
      ],
      given: {},
      toAnswer: { start: o.against, model: folder },
      pairs: [["model", "start"]],
      maxNewTokens: o.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
    };
  }
  return prepareRunEval(o, o.findRun(o.runsDir, o.target), prompts);
}

async function prepareRunEval(o: EvalOptions, runDir: string, prompts: string[] | null): Promise<EvalSetup> {
  const prepared = readPreparedRun(runDir);
  const events = await readAllEvents(runFiles(runDir).events);
  const stages = prepared.stages.map((s) => s.id);
  const saved = new Map(events.flatMap((e) => (e.type === "saved" ? [[e.stage, e.path] as const] : [])));
  const done = stages.filter((s) => saved.has(s));
  if (!done.length)
    throw new EvalRefused(
      `no stage of ${prepared.runId} has finished: nothing to evaluate yet (trellis attach ${prepared.runId})`,
    );
  const models = [
    { name: "start", source: "the starting model" },
    ...done.map((s) => ({ name: s, source: `after stage ${s}` })),
  ];
  // The final model against the start, and against each earlier stage's result.
  const last = done.at(-1)!;
  const pairs: Array<[string, string]> = [
    ...done.map((s) => [s, "start"] as [string, string]),
    ...done.slice(0, -1).map((s) => [last, s] as [string, string]),
  ];
  const base = {
    title: `trellis eval: ${prepared.runId}`,
    runDir,
    out: path.resolve(o.out ?? path.join(runDir, "eval")),
    models,
    pairs,
  };
  if (prompts) {
    const firstSpec = specFile(runDir, prepared.stages[0]!.script);
    return {
      ...base,
      prompts,
      given: {},
      toAnswer: { start: { spec: firstSpec }, ...Object.fromEntries(done.map((s) => [s, saved.get(s)!])) },
      maxNewTokens: o.maxNewTokens ?? maxNewTokensOf(firstSpec),
    };
  }
  const recorded = recordedAnswers(events, done);
  if (!recorded)
    throw new EvalRefused(
      `${prepared.runId} recorded no generations before and after every stage (its recipe has no generations block): give the prompts with --prompts FILE`,
    );
  return { ...base, prompts: recorded.prompts, given: recorded.answers, toAnswer: {}, maxNewTokens: 0 };
}

type Generations = Extract<RunEvent, { type: "generations" }>;

/** The start model's answers (the first stage's "before") and each stage's "after", all on the same prompts. */
function recordedAnswers(
  events: readonly RunEvent[],
  stages: readonly string[],
): { prompts: string[]; answers: Record<string, string[]> } | null {
  const gens = events.filter((e): e is Generations => e.type === "generations");
  const before = gens.find((g) => g.stage === stages[0] && g.when === "before");
  if (!before?.samples.length) return null;
  const prompts = before.samples.map((s) => s.prompt);
  const answers: Record<string, string[]> = { start: before.samples.map((s) => s.answer) };
  for (const stage of stages) {
    const after = gens.findLast((g) => g.stage === stage && g.when === "after");
    if (!after || after.samples.map((s) => s.prompt).join("\u0000") !== prompts.join("\u0000")) return null;
    answers[stage] = after.samples.map((s) => s.answer);
  }
  return { prompts, answers };
}

function maxNewTokensOf(specPath: string): number {
  try {
    const spec = JSON.parse(readTextFile(specPath)) as { generations?: { max_new_tokens?: number } | null };
    return spec.generations?.max_new_tokens ?? DEFAULT_MAX_NEW_TOKENS;
  } catch {
    return DEFAULT_MAX_NEW_TOKENS;
  }
}

function readPromptsFile(file: string): string {
  try {
    return readTextFile(file);
  } catch (err) {
    throw new EvalRefused(`cannot read the prompts file ${file}: ${(err as Error).message}`);
  }
}
