/**
 * `trellis eval`: the starting model and a finished run's model after each stage (or a model
 * folder and the model given with --against), answering the same prompts, then judged pairwise,
 * each answer shown first once. The sections run in order, each its own step with its own part of
 * the report and of eval.json: answers → judge (reward-model scores and benchmarks come after).
 *
 * Answers: a run's own `generations` events when it recorded them (the start model's "before",
 * each stage's "after": greedy, by generate.py), else, or with --prompts, generated now by the
 * same code (python/trellis_runtime/evaluate.py). Verdicts: python/trellis_runtime/judge.py.
 * The arithmetic: src/core/eval. Written to <run>/eval/ (or --out): report.md, eval.json (the
 * result and the record that reproduces it: judge, judge prompt text and sha256, versions,
 * seed), spec.json, verdicts.json and eval.log; the run's manifest.json lists the evaluation.
 */
import path from "node:path";
import { fileExists, readTextFile, writeTextFile } from "../adapters/eval-files.js";
import { runEvalProcess } from "../adapters/eval-process.js";
import { readAllEvents } from "../adapters/event-file.js";
import { sha256Text } from "../adapters/hash.js";
import { PYTHON_DIR, TRELLIS_VERSION } from "../adapters/package-files.js";
import { runFiles, specFile } from "../adapters/run-dir.js";
import { TrellisError } from "../core/errors.js";
import type { RunEvent } from "../core/events/protocol.js";
import { parsePrompts } from "../core/eval/prompts.js";
import { evalMarkdown, judgePairs, type EvalResult, type JudgeRecord, type PairVerdicts } from "../core/eval/report.js";
import { readPreparedRun } from "./prepared-run.js";
import { recordEvaluation } from "./manifest.js";
import { scoreEval } from "./eval-scores.js";
import type { BenchmarkSpec, RewardSpec } from "../core/eval/score-spec.js";

/** Refused before any work (no judge, no prompts, nothing to compare): exit code 2. */
class EvalRefused extends TrellisError {}
/** The judge or the model failed while evaluating: exit code 1, the log named. */
class EvalFailed extends TrellisError {
  override readonly exitCode = 1;
}

export type JudgeChoice =
  | { kind: "local"; model: string }
  | { kind: "openai"; baseUrl: string; model: string; apiKeyEnv?: string; timeout?: number; retries?: number };

const DEFAULT_JUDGE_PROMPT = path.join(PYTHON_DIR, "trellis_runtime", "judge_prompt.txt");
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

/** A model to answer now: a folder or Hub name, or a stage spec whose model block says which. */
type ModelSource = string | { spec: string };

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

interface JudgeModelsInput {
  /** Where spec.json, verdicts.json and eval.log go. */
  out: string;
  models: Array<{ name: string; source: string }>;
  prompts: string[];
  /** Answers already recorded, by model name. */
  given: Record<string, string[]>;
  /** Models to answer now, by name. */
  toAnswer: Record<string, ModelSource>;
  pairs: Array<[string, string]>;
  maxNewTokens: number;
  judge: JudgeChoice;
  judgePromptFile?: string;
  seed: number;
  python: () => Promise<string>;
  say: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * The answers and the judge sections: evaluate.py answers what is not recorded and judges every
 * pair in both orders; src/core/eval turns the verdicts into win rates. Also used by `compare`.
 */
export async function judgeModels(i: JudgeModelsInput): Promise<{ result: EvalResult; record: EvalRecord }> {
  const template = readJudgePrompt(i.judgePromptFile);
  const spec = path.join(i.out, "spec.json");
  const verdictsFile = path.join(i.out, "verdicts.json");
  writeTextFile(
    spec,
    `${JSON.stringify(
      {
        prompts: i.prompts,
        answers: i.given,
        models: i.toAnswer,
        max_new_tokens: i.maxNewTokens,
        pairs: i.pairs,
        judge: judgeSpec(i.judge, template.text),
        seed: i.seed,
        out: verdictsFile,
      },
      null,
      2,
    )}\n`,
  );
  const log = path.join(i.out, "eval.log");
  i.say(
    `trellis eval: ${i.models.map((m) => m.name).join(", ")} on ${i.prompts.length} prompts, judged by ${judgeName(i.judge)}`,
  );
  const python = await i.python();
  const ran = await runEvalProcess({
    python,
    spec,
    logFile: log,
    signal: i.signal,
    progress: (p) => {
      if (p.phase === "check") i.say(`  reaching the judge endpoint ${String(p.judge)}`);
      if (p.phase === "answers") i.say(`  answers: ${String(p.model)}`);
      if (p.phase === "judge") i.say(`  judging ${String(p.x)} against ${String(p.y)} (both orders)`);
    },
  });
  if (ran.exitCode !== 0 || !fileExists(verdictsFile)) {
    const reason = ran.lastError?.replace(/^JudgeError: /, "") ?? `exit code ${ran.exitCode}`;
    throw new EvalFailed(`evaluation failed: ${reason} (log: ${log})`);
  }
  const raw = JSON.parse(readTextFile(verdictsFile)) as {
    answers: Record<string, string[]>;
    pairs: PairVerdicts[];
    judge: JudgeRecord;
    versions: Record<string, string>;
  };
  const result: EvalResult = {
    models: i.models,
    prompts: i.prompts,
    answers: raw.answers,
    judge: raw.judge,
    judgePrompt: { file: template.file, sha256: template.sha256 },
    pairs: judgePairs(raw.pairs, raw.answers),
  };
  const record: EvalRecord = {
    trellis: TRELLIS_VERSION,
    at: new Date().toISOString(),
    judge: raw.judge,
    judge_prompt: { file: template.file, sha256: template.sha256, text: template.text },
    prompts_sha256: sha256Text(JSON.stringify(i.prompts)),
    max_new_tokens: i.maxNewTokens,
    seed: i.seed,
    versions: raw.versions,
    python,
  };
  return { result, record };
}

/** What reproduces an evaluation: the judge (never its key), the prompt's text and sha256, versions, seed. */
export interface EvalRecord {
  trellis: string;
  at: string;
  judge: JudgeRecord;
  judge_prompt: { file: string; sha256: string; text: string };
  prompts_sha256: string;
  max_new_tokens: number;
  seed: number;
  versions: Record<string, string>;
  python: string;
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

function readJudgePrompt(file: string | undefined): { file: string; text: string; sha256: string } {
  const chosen = file ?? DEFAULT_JUDGE_PROMPT;
  let text: string;
  try {
    text = readTextFile(chosen);
  } catch (err) {
    throw new EvalRefused(`cannot read the judge prompt ${chosen}: ${(err as Error).message}`);
  }
  const missing = ["{question}", "{answer_a}", "{answer_b}"].filter((p) => !text.includes(p));
  if (missing.length)
    throw new EvalRefused(
      `the judge prompt ${chosen} lacks ${missing.join(", ")}: a judge prompt names the question and both answers`,
    );
  return {
    file: file ? path.resolve(file) : "default (python/trellis_runtime/judge_prompt.txt)",
    text,
    sha256: sha256Text(text),
  };
}

function judgeSpec(j: JudgeChoice, template: string): Record<string, unknown> {
  if (j.kind === "local") return { kind: "local", model: j.model, template };
  return {
    kind: "openai",
    base_url: j.baseUrl,
    model: j.model,
    api_key_env: j.apiKeyEnv ?? null,
    ...(j.timeout !== undefined ? { timeout: j.timeout } : {}),
    ...(j.retries !== undefined ? { retries: j.retries } : {}),
    template,
  };
}

const judgeName = (j: JudgeChoice) => (j.kind === "local" ? j.model : `${j.model} at ${j.baseUrl}`);
