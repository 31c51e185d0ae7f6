/**
 * `trellis eval`'s report: separate sections in a fixed order, answers then judge (reward-model
 * scores and benchmarks are later sections of their own), each a function of the result alone,
 * so the report can be rebuilt from eval.json and another section added without touching these.
 */
import { cell, num } from "../compare/report.js";
import { halfWidthAt, LC_MIN_PROMPTS, winRate, type Judged, type Verdict, type WinRate } from "./win-rate.js";

/** What evaluate.py returns for one pair of models: every prompt's two verdicts. */
export interface PairVerdicts {
  x: string;
  y: string;
  prompts: Array<{ x_first: Verdict | null; y_first: Verdict | null }>;
}

export interface JudgeRecord {
  kind: "local" | "openai";
  model: string;
  base_url?: string;
  /** The name of the variable holding the key; never the key. */
  api_key_env?: string | null;
}

interface JudgedPair {
  x: string;
  y: string;
  result: WinRate;
}

export interface EvalResult {
  /** The models evaluated, the starting model first. */
  models: Array<{ name: string; source: string }>;
  prompts: string[];
  answers: Record<string, string[]>;
  judge: JudgeRecord;
  judgePrompt: { file: string; sha256: string };
  pairs: JudgedPair[];
}

export function judgePairs(pairs: readonly PairVerdicts[], answers: Record<string, string[]>): JudgedPair[] {
  return pairs.map((p) => {
    const judged: Judged[] = p.prompts.map((v, i) => ({
      xFirst: v.x_first,
      yFirst: v.y_first,
      xLength: answers[p.x]![i]!.length,
      yLength: answers[p.y]![i]!.length,
    }));
    return { x: p.x, y: p.y, result: winRate(judged) };
  });
}

const pct = (v: number | null) => (v === null ? "-" : `${(100 * v).toFixed(1)}%`);

function answersSection(r: EvalResult): string[] {
  const out = ["## Answers", ""];
  out.push(
    `Greedy answers of each model to the same ${r.prompts.length} prompts (${r.models.map((m) => `${m.name}: ${m.source}`).join("; ")}).`,
    "",
  );
  for (const [i, prompt] of r.prompts.entries()) {
    out.push(`**${cell(prompt)}**`, "", "| model | answer |", "| --- | --- |");
    for (const m of r.models) out.push(`| ${m.name} | ${cell(r.answers[m.name]?.[i] ?? "-")} |`);
    out.push("");
  }
  return out;
}

export function judgeSection(r: EvalResult): string[] {
  const judge =
    r.judge.kind === "local"
      ? `the local model ${r.judge.model}, its verdict read from its next-token probabilities of A, B and tie`
      : `${r.judge.model} at ${r.judge.base_url} (OpenAI-compatible, greedy, the verdict read from its reply)`;
  const out = ["## Judge", ""];
  out.push(
    `Judge: ${judge}; prompt ${r.judgePrompt.file} (sha256 ${r.judgePrompt.sha256.slice(0, 12)}). Every prompt is judged twice, each answer shown first once; a prompt's score is the mean of its two orders (win 1, tie or unreadable reply 0.5, loss 0).`,
    "",
    "Win rate: the mean score over prompts, with a Wilson 95% interval on prompts (conservative when there are ties). Length-controlled: the win rate a logistic fit of the score on the answers' length difference gives at equal lengths (AlpacaEval 2's idea). First-position wins: of the verdicts that named a winner, how often it was the answer shown first (50% is an unbiased judge; both orders cancel it in the win rate).",
    "",
    "| model | against | win rate | 95% interval | length-controlled | won / tied / lost | first-position wins | mean length (chars) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const p of r.pairs) {
    const w = p.result;
    const bias = w.positionBias;
    out.push(
      `| ${p.x} | ${p.y} | ${pct(w.winRate)} | ${pct(w.interval.low)} – ${pct(w.interval.high)} | ${pct(w.lengthControlled)}${w.prompts < LC_MIN_PROMPTS ? " (unstable: few prompts)" : ""} | ${w.wins} / ${w.ties} / ${w.losses} | ${pct(bias.firstRate)} (${bias.firstWins} of ${bias.decisive}${bias.unreadable ? `; ${bias.unreadable} unreadable` : ""}) | ${num(w.xMeanLength, 0)} vs ${num(w.yMeanLength, 0)} |`,
    );
  }
  out.push(
    "",
    `At ${r.prompts.length} prompts a 50% win rate's interval is ±${halfWidthText(r)} points wide: a difference smaller than that is not a finding.`,
    "",
  );
  return out;
}

function halfWidthText(r: EvalResult): string {
  return (100 * halfWidthAt(r.prompts.length)).toFixed(0);
}

export function evalMarkdown(r: EvalResult, title: string): string {
  return [`# ${title}`, "", ...answersSection(r), ...judgeSection(r)].join("\n");
}
