/**
 * runs/<compare-id>/report.md: the scores table (the starting model first), the cost of each
 * stage and arm, the plot, the generations side by side, and the plain reading. Numbers are
 * printed with fixed precision (SCORE_DIGITS, ...) so a test can read them back and match them
 * to each arm's events.
 */
import { baselineSamples, finalSamples, type ArmResult, type Scores } from "./arm-result.js";
import type { Advice } from "./advice.js";

const SCORE_DIGITS = 4;
const SECONDS_DIGITS = 1;

interface ReportInput {
  id: string;
  name: string;
  arms: ReadonlyArray<ArmResult & { file: string }>;
  baseline: Scores | null;
  advice: Advice;
  reading: string[];
  /** The plot's file name beside report.md, or why there is none. */
  plot: { file: string; width: number; height: number } | { missing: string };
  /** The judged win rates' section (src/app/compare-judge.ts), when a judge was given. */
  judged?: string[];
  /** The reward-model and benchmark section (src/core/eval/score-report.ts), placed after the cost. */
  scoreSection?: string[];
}

export const num = (v: number | null | undefined, digits = SCORE_DIGITS) =>
  v === null || v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(digits);
const secs = (v: number) => v.toFixed(SECONDS_DIGITS);

/** A table cell: one line, no pipe that would split it. */
export function cell(text: string): string {
  const flat = text
    .replace(/\s*\n\s*/g, " ")
    .replace(/\|/g, "\\|")
    .trim();
  return flat === "" ? "(empty)" : `\`${flat.replace(/`/g, "'")}\``;
}

function scoreRow(label: string, s: Scores | null): string {
  return `| ${label} | ${num(s?.accuracy)} | ${num(s?.accuracy_sum)} | ${num(s?.margin)} | ${num(s?.margin_sum)} | ${num(s?.chosen_nll)} |`;
}

export function reportMarkdown(r: ReportInput): string {
  const pairs = r.baseline?.pairs ?? r.arms.find((a) => a.final)?.final?.pairs ?? 0;
  const device = r.arms.flatMap((a) => a.stages).some((s) => s.device === "gpu") ? "GPU" : "CPU";
  const out: string[] = [];
  out.push(`# ${r.name}: ${r.arms.map((a) => a.name).join(" vs ")}`, "");
  out.push(
    `Comparison \`${r.id}\`. Every arm trained on the same data with the same seed and was scored the same way on the same ${pairs} held-out pairs.`,
    "",
  );
  out.push("| arm | recipe | run | stages | status |", "| --- | --- | --- | --- | --- |");
  for (const a of r.arms)
    out.push(
      `| ${a.name} | ${a.file} | ${a.runId ?? "-"} | ${a.stages.map((s) => `${s.stage} (${s.trainer})`).join(" → ")} | ${a.status} |`,
    );
  out.push("", `## Held-out scores (${pairs} pairs)`, "");
  out.push(
    "Preference accuracy: how often the model gives the chosen answer a higher log-probability than the rejected one, per token (length-normalised) and summed; margin: the mean of chosen minus rejected; NLL: nats per token of the chosen answers (lower is better).",
    "",
  );
  out.push(
    "| model | pref. accuracy | pref. accuracy (summed) | margin | margin (summed) | chosen NLL |",
    "| --- | --- | --- | --- | --- | --- |",
  );
  out.push(scoreRow("starting model (baseline)", r.baseline));
  for (const a of r.arms) out.push(scoreRow(a.name, a.final));

  out.push("", "## Cost", "");
  out.push(
    `Wall time from each stage's first event to its end; device-seconds are ${device === "GPU" ? "GPU-seconds (wall time x GPUs)" : "CPU-seconds (user + system time of the stage process)"}; tokens trained (chosen and rejected, padding left out).`,
    "",
  );
  out.push(
    `| arm | stage | trainer | steps | wall s | ${device}-seconds | tokens |`,
    "| --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const a of r.arms) {
    for (const s of a.stages)
      out.push(
        `| ${a.name} | ${s.stage} | ${s.trainer} | ${s.steps} | ${secs(s.wall_s)} | ${secs(s.device_s)} | ${Math.round(s.tokens)} |`,
      );
    out.push(
      `| **${a.name}** | **total** | | | **${secs(a.total.wall_s)}** | **${secs(a.total.device_s)}** | **${Math.round(a.total.tokens)}** |`,
    );
  }

  if (r.scoreSection?.length) out.push("", ...r.scoreSection.slice(0, -1));
  out.push("", "## Curves", "");
  if ("file" in r.plot) {
    out.push(
      `![Training loss and held-out preference accuracy of each arm against ${device}-seconds](${r.plot.file})`,
      "",
    );
    out.push(
      `Left: training loss against ${device}-seconds (each trainer's own loss: SFT's NLL, DPO's sigmoid loss, ORPO's NLL plus its odds-ratio term, so compare shapes, not levels). Right: held-out preference accuracy, measured before and after each stage.`,
    );
  } else out.push(`No plot: ${r.plot.missing}.`);

  out.push(
    "",
    "## Generations",
    "",
    "Greedy answers to the same prompts: the starting model, then each arm's final model.",
    "",
  );
  const base = r.arms.map(baselineSamples).find((s) => s) ?? null;
  const finals = r.arms.map((a) => ({ name: a.name, samples: finalSamples(a) }));
  const prompts = (base ?? finals.find((f) => f.samples)?.samples ?? []).map((s) => s.prompt);
  if (!prompts.length) out.push("No generations were recorded (the arms' recipes have no generations block).");
  for (const [i, prompt] of prompts.entries()) {
    out.push(`**${cell(prompt)}**`, "", "| model | answer |", "| --- | --- |");
    out.push(`| starting model | ${base?.[i] ? cell(base[i].answer) : "-"} |`);
    for (const f of finals) out.push(`| ${f.name} | ${f.samples?.[i] ? cell(f.samples[i].answer) : "-"} |`);
    out.push("");
  }

  if (r.judged) out.push(...r.judged);

  out.push(
    "## Reading",
    "",
    "**Before running** (`trellis compare --advise`, from the data and the model alone): " + `${r.advice.summary}.`,
    "",
  );
  for (const s of r.advice.signals)
    out.push(
      `- ${s.what}: ${s.why} (${s.lean === "either" ? "no lean" : s.lean === "orpo" ? "leans ORPO" : "leans SFT then DPO"})`,
    );
  out.push("", "**What the measurement says:**", "");
  for (const line of r.reading) out.push(`- ${line}`);
  out.push("");
  return out.join("\n");
}
