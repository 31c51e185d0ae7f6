/** `trellis eval <run | model folder>`: judged win rates against the starting model. */
import path from "node:path";
import { setupEnvironment } from "../app/env.js";
import { runEval } from "../app/evaluate.js";
import type { JudgeChoice } from "../app/judge-models.js";
import { findRun } from "../app/list-runs.js";
import { sanitise } from "../core/text/sanitise.js";
import type { BenchmarkSpec, RewardSpec } from "../core/eval/score-spec.js";
import { envOptions, parse, runsDirOf, UsageError } from "./args.js";

export async function evalCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "eval");
  if (values.help) return help();
  if (positionals.length !== 1) throw new UsageError("eval takes one run id or model folder (see trellis eval --help)");
  const say = (line: string) => process.stderr.write(`${sanitise(line, { lines: true })}\n`);
  const env = envOptions(values);
  const outcome = await runEval({
    target: positionals[0]!,
    runsDir: path.resolve(runsDirOf(values["runs-dir"])),
    against: values.against,
    promptsFile: values.prompts,
    judge: judgeOf(values, intOf(values["judge-retries"], "--judge-retries")),
    judgePromptFile: values["judge-prompt"],
    out: values.out,
    maxNewTokens: intOf(values["max-new-tokens"], "--max-new-tokens"),
    seed: intOf(values.seed, "--seed") ?? 0,
    python: async () => (await setupEnvironment({ ...env, out: process.stderr })).python,
    pythonWith: async (extras) =>
      (await setupEnvironment({ ...env, extras: [...(env.extras ?? []), ...extras], out: process.stderr })).python,
    reward: rewardOf(values.reward),
    benchmarks: benchmarksOf(values.benchmark, intOf(values["benchmark-limit"], "--benchmark-limit")),
    findRun: (dir, q) => findRun(dir, q),
    say,
  });
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({
        type: "eval_end",
        dir: outcome.dir,
        report: outcome.report,
        judge: outcome.result.judge,
        prompts: outcome.result.prompts.length,
        pairs: outcome.result.pairs,
      })}\n`,
    );
    return 0;
  }
  const pct = (v: number | null) => (v === null ? "-" : `${(100 * v).toFixed(1)}%`);
  for (const p of outcome.result.pairs) {
    const w = p.result;
    process.stdout.write(
      sanitise(
        `${p.x} vs ${p.y}: win rate ${pct(w.winRate)} (95% ${pct(w.interval.low)}–${pct(w.interval.high)}), length-controlled ${pct(w.lengthControlled)}, won/tied/lost ${w.wins}/${w.ties}/${w.losses}, first position wins ${pct(w.positionBias.firstRate)}\n`,
        { lines: true },
      ),
    );
  }
  say(`report: ${path.relative(process.cwd(), outcome.report) || outcome.report}`);
  return 0;
}

export function judgeOf(
  v: {
    judge?: string;
    "judge-url"?: string;
    "judge-model"?: string;
    "judge-key-env"?: string;
    "judge-timeout"?: string;
  },
  retries?: number,
): JudgeChoice {
  if (v.judge && v["judge-url"]) throw new UsageError("give one judge: --judge MODEL or --judge-url URL, not both");
  if (v.judge) return { kind: "local", model: v.judge };
  if (v["judge-url"]) {
    if (!v["judge-model"]) throw new UsageError("--judge-url needs --judge-model NAME (the model the endpoint serves)");
    if (!/^https?:\/\//.test(v["judge-url"]))
      throw new UsageError(`--judge-url ${v["judge-url"]}: not an http(s) URL (e.g. http://127.0.0.1:8000/v1)`);
    const timeout = v["judge-timeout"] === undefined ? undefined : Number(v["judge-timeout"]);
    if (timeout !== undefined && !(timeout > 0))
      throw new UsageError(`--judge-timeout ${v["judge-timeout"]}: seconds, a positive number`);
    return {
      kind: "openai",
      baseUrl: v["judge-url"],
      model: v["judge-model"],
      apiKeyEnv: v["judge-key-env"],
      timeout,
      retries,
    };
  }
  throw new UsageError(
    "eval needs a judge: --judge MODEL (a local model) or --judge-url URL --judge-model NAME (an OpenAI-compatible endpoint)",
  );
}

/** `--reward MODEL`: a folder or Hub name, or `tiny` (a random tiny reward model, for trying it out). */
function rewardOf(model: string | undefined): RewardSpec | undefined {
  if (model === undefined) return undefined;
  return model === "tiny" ? { tiny: {} } : { model };
}

function benchmarksOf(tasks: string[] | undefined, limit: number | undefined): BenchmarkSpec | undefined {
  if (!tasks?.length) {
    if (limit !== undefined) throw new UsageError("--benchmark-limit goes with --benchmark TASK");
    return undefined;
  }
  if (limit === 0) throw new UsageError("--benchmark-limit 0: at least one question of each task");
  return { tasks, ...(limit !== undefined ? { limit } : {}) };
}

export function intOf(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} ${text}: a whole number`);
  return n;
}
