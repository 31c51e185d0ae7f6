/**
 * `trellis compare --judge ...`: the judged win rates of every arm against the starting model and
 * against each other arm, on the greedy answers the arms recorded (the comparison's generations
 * prompts), by the same judging step as `trellis eval`. Its own section of report.md and its own
 * key of result.json; files in <compare>/judge/.
 */
import path from "node:path";
import { baselineSamples, finalSamples, type ArmResult } from "../core/compare/arm-result.js";
import { judgeSection, type EvalResult } from "../core/eval/report.js";
import { judgeModels, type EvalRecord, type JudgeChoice } from "./judge-models.js";

export interface CompareJudgeOptions {
  judge: JudgeChoice;
  judgePromptFile?: string;
  python: () => Promise<string>;
}

interface CompareJudged {
  /** The report's section, or why there is none. */
  section: string[];
  result: EvalResult | null;
  record: EvalRecord | null;
}

export async function judgeArms(
  dir: string,
  arms: readonly ArmResult[],
  o: CompareJudgeOptions,
  say: (line: string) => void,
): Promise<CompareJudged> {
  const base = arms.map(baselineSamples).find((s) => s);
  const finals = arms.map((a) => ({ name: a.name, samples: finalSamples(a) }));
  const prompts = base?.map((s) => s.prompt) ?? [];
  const same = (samples: ReturnType<typeof finalSamples>) =>
    samples?.length === prompts.length && samples.every((s, i) => s.prompt === prompts[i]);
  if (!prompts.length || !finals.every((f) => same(f.samples)))
    return {
      section: [
        "## Judged win rates",
        "",
        "Not judged: the arms did not all record generations on the same prompts (give the comparison a generations block).",
        "",
      ],
      result: null,
      record: null,
    };
  const names = finals.map((f) => f.name);
  const pairs: Array<[string, string]> = [
    ...names.map((n) => [n, "start"] as [string, string]),
    ...names.flatMap((a, i) => names.slice(i + 1).map((b) => [a, b] as [string, string])),
  ];
  const judged = await judgeModels({
    out: path.join(dir, "judge"),
    models: [{ name: "start", source: "the starting model" }, ...names.map((n) => ({ name: n, source: `arm ${n}` }))],
    prompts,
    given: {
      start: base!.map((s) => s.answer),
      ...Object.fromEntries(finals.map((f) => [f.name, f.samples!.map((s) => s.answer)])),
    },
    toAnswer: {},
    pairs,
    maxNewTokens: 0,
    judge: o.judge,
    judgePromptFile: o.judgePromptFile,
    seed: 0,
    python: o.python,
    say,
  });
  const section = judgeSection(judged.result).map((l) => (l === "## Judge" ? "## Judged win rates" : l));
  return { section, result: judged.result, record: judged.record };
}
