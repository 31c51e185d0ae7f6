/**
 * The reward-model and benchmark section of a comparison's report.md, its lines in the compare
 * view, and what the reading says of them. A section of its own: judged win rates are another's.
 */
import { side, type Interval } from "./score-stats.js";
import { failed, type EvaluationScores } from "./score-summary.js";

const DIGITS = 4;
/** The name trellis_runtime.reward_score gives a tiny reward model built from `reward: { tiny: {} }`. */
const TINY_REWARD = "tiny";
const n4 = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(DIGITS);
const signed = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(DIGITS)}`;
/** "0.1234 [0.0100, 0.2300]", or the value alone when the sample gives no interval. */
const withInterval = (i: Pick<Interval, "value" | "low" | "high">, sign = false) =>
  `${sign ? signed(i.value) : n4(i.value)}${i.low !== null && i.high !== null ? ` [${n4(i.low)}, ${n4(i.high)}]` : ""}`;
const pct = (p: number) => `${(100 * p).toFixed(0)}%`;

export interface ArmCost {
  name: string;
  device_s: number;
}

export function scoresMarkdown(s: EvaluationScores, costs: readonly ArmCost[], device: string): string[] {
  if (!s.reward && !s.benchmarks) return [];
  const cost = (name: string) => {
    const c = costs.find((a) => a.name === name);
    return c ? c.device_s.toFixed(1) : "-";
  };
  const out = ["## Reward model and benchmarks", ""];
  if (s.reward && failed(s.reward)) out.push(`No reward-model scores: ${s.reward.error}`, "");
  else if (s.reward) {
    const r = s.reward;
    out.push(
      `Reward model \`${r.model.name}\`${r.model.revision ? ` (revision ${r.model.revision})` : ""} scored the greedy answers of every model to the same ${r.prompts} prompts (${r.chat_template ? "through its chat template" : "as prompt + answer"}). Win rate: how often a model's answer out-scores the starting model's to the same prompt (ties count a half), with its 95% Wilson interval; difference: the mean per-prompt reward difference with its paired 95% t-interval. Rewards are in the reward model's own units: compare them across models, not with another reward model's.${r.model.name === TINY_REWARD ? ` The reward model is a tiny one with random weights (reward: { tiny: {} }): this shows the plumbing, and its preferences mean nothing.` : ""}`,
      "",
      `| model | mean reward [95% CI] | win rate vs start [95% CI] | wins / ties / losses | reward difference vs start [95% CI] | ${device}-seconds |`,
      "| --- | --- | --- | --- | --- | --- |",
      `| starting model | ${withInterval(r.baseline.mean)} | - | - | - | - |`,
    );
    for (const a of r.arms)
      out.push(
        `| ${a.name} | ${withInterval(a.mean)} | ${withInterval(a.win_rate)} | ${a.win_rate.wins} / ${a.win_rate.ties} / ${a.win_rate.losses} | ${withInterval(a.difference, true)} | ${cost(a.name)} |`,
      );
    out.push("");
  }
  if (s.benchmarks && failed(s.benchmarks)) out.push(`No benchmark scores: ${s.benchmarks.error}`, "");
  else if (s.benchmarks) {
    const b = s.benchmarks;
    out.push(
      `lm-evaluation-harness ${b.harness.version}: each task's score for the starting model and each arm's final model (± the harness's standard error), and the change from the starting model with a 95% interval (both standard errors combined as if independent: the models answered the same questions, so this overstates the noise a little).`,
      "",
      "| task | metric | questions | model | score | change vs start [95% CI] | " + `${device}-seconds |`,
      "| --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const row of b.rows) {
      const label = row.file ? `${row.task} (\`${row.file}\`)` : row.task;
      out.push(
        `| ${label} | ${row.metric} | ${row.samples ?? "-"} | starting model | ${n4(row.baseline.value)} ± ${n4(row.baseline.stderr)} | - | - |`,
      );
      for (const a of row.arms)
        out.push(
          `| | | | ${a.name} | ${n4(a.score.value)} ± ${n4(a.score.stderr)} | ${withInterval(a.delta, true)} | ${cost(a.name)} |`,
        );
    }
    out.push("");
  }
  return out;
}

/** The compare view's lines (plain text), one per model and scorer. */
export function scoresPlain(s: EvaluationScores): string[] {
  const out: string[] = [];
  if (s.reward && failed(s.reward)) out.push(`reward: none (${s.reward.error})`);
  else if (s.reward) {
    out.push(`reward (${s.reward.model.name}, ${s.reward.prompts} prompts): mean [95% CI]; win rate vs start [95% CI]`);
    out.push(`  starting model  ${withInterval(s.reward.baseline.mean)}`);
    for (const a of s.reward.arms)
      out.push(`  ${a.name}  ${withInterval(a.mean)}; win rate ${withInterval(a.win_rate)}`);
  }
  if (s.benchmarks && failed(s.benchmarks)) out.push(`benchmarks: none (${s.benchmarks.error})`);
  else if (s.benchmarks)
    for (const row of s.benchmarks.rows) {
      out.push(
        `benchmark ${row.task} ${row.metric} (${row.samples ?? "?"} questions): start ${n4(row.baseline.value)}`,
      );
      for (const a of row.arms) out.push(`  ${a.name}  ${n4(a.score.value)} (change ${withInterval(a.delta, true)})`);
    }
  return out;
}

interface RankedArm {
  name: string;
  /** Held-out preference accuracy of the arm's final model. */
  accuracy: number | null;
}

/**
 * What the reward and benchmark scores add to the reading: which arms' answers the reward model
 * prefers to the starting model's (only where the interval says so), which lost benchmark score
 * (the alignment tax), and the arm that ranks the pairs best while losing on either.
 */
export function readScores(s: EvaluationScores, arms: readonly RankedArm[]): string[] {
  const lines: string[] = [];
  const worse = new Map<string, string[]>();
  const note = (arm: string, what: string) => worse.set(arm, [...(worse.get(arm) ?? []), what]);
  if (s.reward && !failed(s.reward)) {
    const r = s.reward;
    if (r.model.name === TINY_REWARD)
      lines.push("The reward model is a tiny random one: its preferences below show the plumbing, not answer quality.");
    for (const a of r.arms) {
      const where = side(a.win_rate, 0.5);
      const rate = `${pct(a.win_rate.value)} [${pct(a.win_rate.low ?? 0)}, ${pct(a.win_rate.high ?? 1)}]`;
      if (where > 0)
        lines.push(`The reward model prefers ${a.name}'s answers to the starting model's (win rate ${rate}).`);
      else if (where < 0) {
        lines.push(`The reward model prefers the starting model's answers to ${a.name}'s (win rate ${rate}).`);
        note(a.name, "the reward model prefers the starting model's answers");
      } else
        lines.push(
          `${a.name}'s answers are not told apart from the starting model's by the reward model (win rate ${rate} covers 50%${r.prompts < 30 ? `; ${r.prompts} prompts resolve only large differences` : ""}).`,
        );
    }
  }
  if (s.benchmarks && !failed(s.benchmarks)) {
    for (const row of s.benchmarks.rows)
      for (const a of row.arms) {
        const where = side(a.delta, 0);
        const change = `${signed(a.delta.value)} ${row.metric}`;
        if (where < 0) {
          lines.push(`${a.name} lost ${row.task} score (${change}, beyond the noise): the alignment tax on this task.`);
          note(a.name, `it lost ${row.task} score`);
        } else if (where > 0) lines.push(`${a.name} gained ${row.task} score (${change}, beyond the noise).`);
      }
  }
  const ranked = arms.filter((a) => a.accuracy !== null).sort((a, b) => b.accuracy! - a.accuracy!);
  const top = ranked[0];
  if (top && ranked.length >= 2 && worse.has(top.name))
    lines.push(
      `${top.name} ranks the held-out pairs best, yet ${worse.get(top.name)!.join(" and ")}: ranking pairs is not answering well; weigh these before choosing it.`,
    );
  return lines;
}
