/**
 * The generations panel (key g): one prompt at a time ([ and ] page through them), its latest
 * answer above the previous one and the starting model's, so a change reads at a glance.
 *
 *   generations  prompt 2/3  ([ ] prompts, g closes)
 *   What colour does the snow have?
 *   latest    orpo @240 end   The snow is white.
 *   previous  orpo @200       The snow is blue.        (changed)
 *   baseline  start           ????????
 */
import type { GenerationsRecord } from "../../core/run/dashboard-state.js";
import { fit, padEnd, wrapWords } from "./text.js";
import type { Painter } from "./theme.js";
import type { PanelContext } from "./panel-context.js";

export interface AnswerRow {
  label: string;
  /** Where the answer comes from: `orpo @240 end`. */
  source: string;
  answer: string | null;
  /** Differs from the row below it that it is compared with. */
  changed?: boolean;
}

/** Room for "baseline" and a space; longer labels (arm names) widen the column up to MAX_LABEL. */
const LABEL = 9;
const MAX_LABEL = 24;
const SOURCE = 16;

function recordSource(r: GenerationsRecord): string {
  return r.when === "before" ? `${r.stage} start` : `${r.stage} @${r.step}${r.when === "after" ? " end" : ""}`;
}

/** One line of text: a dialogue prompt's or an answer's newlines would break the frame's rows. */
export const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/** The prompt's answer rows, each wrapped to the width, under a header and the prompt. */
export function answerBlock(
  head: string,
  prompt: string,
  rows: readonly AnswerRow[],
  width: number,
  paint: Painter,
): string[] {
  const out = [
    fit(paint.bold(head), width),
    ...wrapWords(` ${paint.bold(oneLine(prompt))}`, width, " ").map((l) => fit(l, width)),
  ];
  const label = Math.min(MAX_LABEL, Math.max(LABEL, ...rows.map((r) => r.label.length + 1)));
  const indent = " ".repeat(1 + label + SOURCE);
  for (const r of rows) {
    const answer =
      r.answer === null ? paint.dim("-") : oneLine(r.answer) === "" ? paint.dim("(empty)") : oneLine(r.answer);
    const mark = r.changed ? paint.yellow("  (changed)") : "";
    const text = ` ${padEnd(r.label, label - 1)} ${padEnd(paint.dim(r.source), SOURCE)}${answer}${mark}`;
    out.push(...wrapWords(text, width, indent).map((l) => fit(l, width)));
  }
  return out;
}

/** The panel for the run shown: baseline (first `before`), previous and latest generations. */
export function generationsLines(v: PanelContext, rows: number): string[] {
  const all = v.state.generations;
  const latest = all.at(-1);
  if (!latest || !latest.samples.length) {
    const why = v.paint.dim(
      " no generations yet: add a generations block to the recipe (prompts, every_steps) to see answers here",
    );
    return pad([fit(v.paint.bold(" generations"), v.width), fit(why, v.width)], rows, v.width);
  }
  const count = latest.samples.length;
  const page = ((v.settings.promptPage % count) + count) % count;
  const sample = latest.samples[page]!;
  const previous = all.length > 1 ? all.at(-2) : undefined;
  const baseline = all.find((r) => r.when === "before");
  const answerOf = (r: GenerationsRecord | undefined) =>
    r?.samples.find((s) => s.prompt === sample.prompt)?.answer ?? null;
  const answerRows: AnswerRow[] = [
    {
      label: "latest",
      source: recordSource(latest),
      answer: sample.answer,
      changed: previous !== undefined && answerOf(previous) !== sample.answer,
    },
  ];
  if (previous && previous !== baseline)
    answerRows.push({ label: "previous", source: recordSource(previous), answer: answerOf(previous) });
  if (baseline && baseline !== latest)
    answerRows.push({ label: "baseline", source: recordSource(baseline), answer: answerOf(baseline) });
  return pad(
    answerBlock(
      ` generations  prompt ${page + 1}/${count}  ([ ] prompts, g closes)`,
      sample.prompt,
      answerRows,
      v.width,
      v.paint,
    ),
    rows,
    v.width,
  );
}

function pad(lines: string[], rows: number, width: number): string[] {
  const out = lines.slice(0, rows).map((l) => fit(l, width));
  while (out.length < rows) out.push("");
  return out;
}
