/**
 * Judging models' answers pairwise, for `trellis eval` (evaluate.ts) and `trellis compare`
 * (compare-judge.ts): python/trellis_runtime/evaluate.py answers what is not recorded and judges
 * every pair in both orders (judge.py); src/core/eval turns the verdicts into win rates. The
 * record says what reproduces it: the judge (never its key), the prompt's text and sha256, versions.
 */
import path from "node:path";
import { fileExists, readTextFile, writeTextFile } from "../adapters/eval-files.js";
import { runEvalProcess } from "../adapters/eval-process.js";
import { sha256Text } from "../adapters/hash.js";
import { PYTHON_DIR, TRELLIS_VERSION } from "../adapters/package-files.js";
import { TrellisError } from "../core/errors.js";
import { judgePairs, type EvalResult, type JudgeRecord, type PairVerdicts } from "../core/eval/report.js";

/** Refused before any work (no judge, no prompts, nothing to compare): exit code 2. */
export class EvalRefused extends TrellisError {}
/** The judge or the model failed while evaluating: exit code 1, the log named. */
export class EvalFailed extends TrellisError {
  override readonly exitCode = 1;
}

export type JudgeChoice =
  | { kind: "local"; model: string }
  | { kind: "openai"; baseUrl: string; model: string; apiKeyEnv?: string; timeout?: number; retries?: number };

const DEFAULT_JUDGE_PROMPT = path.join(PYTHON_DIR, "trellis_runtime", "judge_prompt.txt");

/** A model to answer now: a folder or Hub name, or a stage spec whose model block says which. */
export type ModelSource = string | { spec: string };

export interface JudgeModelsInput {
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
