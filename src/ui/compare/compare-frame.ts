/**
 * The compare view, as lines (a pure function of the arms' results and the view's choices): the
 * arms' training loss and held-out preference accuracy on a shared x axis (device-seconds or
 * tokens: steps mean different things in each arm), the final table with the starting model
 * first, and one prompt's answers side by side.
 */
import {
  baselineSamples,
  finalSamples,
  type ArmResult,
  type Point,
  type Scores,
} from "../../core/compare/arm-result.js";
import { answerBlock, type AnswerRow } from "../dashboard/generations-panel.js";
import { fit, padEnd, padStart } from "../dashboard/text.js";
import { painter, type Theme } from "../dashboard/theme.js";
import { overlayChart, tintOf } from "./overlay-chart.js";

export type CompareAxis = "device_s" | "tokens";

interface CompareFrameOptions {
  columns: number;
  rows: number;
  theme: Theme;
  axis?: CompareAxis;
  promptPage?: number;
  /** The comparison's id or name, for the header. */
  title: string;
}

/** Charts side by side from this width; stacked below it. */
const SIDE_BY_SIDE = 100;
const CHART_ROWS = 10;

export function compareFrame(arms: readonly ArmResult[], baseline: Scores | null, o: CompareFrameOptions): string[] {
  const paint = painter(o.theme);
  const axis = o.axis ?? "device_s";
  const device = arms.flatMap((a) => a.stages).some((s) => s.device === "gpu") ? "GPU" : "CPU";
  const unit = axis === "tokens" ? "tok" : `${device}-s`;
  const xOf = (p: Point) => ({ x: axis === "tokens" ? p.tokens : p.device_s, y: p.y });
  const lines: string[] = [];
  lines.push(
    fit(
      `${paint.bold("trellis ▸ compare ▸")} ${o.title}  ${arms.map((a, i) => tintOf(i)(paint)(`${a.name} (${a.trainers.join("→")}) ${a.status}`)).join("  ")}`,
      o.columns,
    ),
  );
  lines.push(
    fit(
      paint.dim(
        ` x axis: ${axis === "tokens" ? "tokens trained" : `${device}-seconds`} (x toggles)  loss is each trainer's own: compare shapes, not levels`,
      ),
      o.columns,
    ),
  );

  const loss = arms.map((a) => ({ name: a.name, points: a.curves.loss.map(xOf), style: "line" as const }));
  const acc = arms.map((a) => ({ name: a.name, points: a.curves.accuracy.map(xOf), style: "line" as const }));
  // Both charts from 0 to the dearest arm's last point: loading costs device time too.
  const xs = [...loss, ...acc].flatMap((a) => a.points.map((p) => p.x));
  const range = xs.length ? { x0: 0, x1: Math.max(...xs, 1e-9) } : undefined;
  const wide = o.columns >= SIDE_BY_SIDE;
  const w = wide ? Math.floor(o.columns / 2) : o.columns;
  const lossBox = overlayChart("loss", loss, unit, [], w, CHART_ROWS, o.theme, paint, range);
  const accBox = overlayChart("pref. accuracy", acc, unit, [0.5], w, CHART_ROWS, o.theme, paint, range);
  if (wide) for (let r = 0; r < CHART_ROWS; r++) lines.push(padEnd(lossBox[r]!, w) + accBox[r]!);
  else lines.push(...lossBox, ...accBox);

  lines.push(...tableLines(arms, baseline, o.columns, device, paint));
  const prompts = (arms.map(baselineSamples).find((s) => s) ?? arms.map(finalSamples).find((s) => s) ?? []).map(
    (s) => s.prompt,
  );
  if (prompts.length) {
    const page = (((o.promptPage ?? 0) % prompts.length) + prompts.length) % prompts.length;
    const base = arms.map(baselineSamples).find((s) => s)?.[page]?.answer ?? null;
    const rows: AnswerRow[] = arms.map((a) => {
      const answer = finalSamples(a)?.[page]?.answer ?? null;
      return { label: a.name, source: "end", answer, changed: answer !== null && answer !== base };
    });
    rows.push({ label: "baseline", source: "start", answer: base });
    lines.push(
      ...answerBlock(
        ` answers  prompt ${page + 1}/${prompts.length}  ([ ] prompts)  (changed: differs from the starting model)`,
        prompts[page]!,
        rows,
        o.columns,
        paint,
      ),
    );
  }
  lines.push(fit(paint.dim(" q quit  x axis  [ ] prompts"), o.columns));
  return lines.slice(0, Math.max(1, o.rows - 1)).map((l) => fit(l, o.columns));
}

const COLS = [
  ["model", 26],
  ["pref acc", 9],
  ["acc(sum)", 9],
  ["margin", 9],
  ["NLL", 7],
  ["dev-s", 8],
  ["tokens", 9],
  ["wall s", 7],
] as const;

function tableLines(
  arms: readonly ArmResult[],
  baseline: Scores | null,
  columns: number,
  device: string,
  paint: ReturnType<typeof painter>,
): string[] {
  const f = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? "-" : v.toFixed(d));
  const row = (cellsIn: string[]) =>
    fit(cellsIn.map((c, i) => (i === 0 ? padEnd(` ${c}`, COLS[i][1]) : padStart(c, COLS[i]![1]))).join(""), columns);
  const out = [paint.bold(row(COLS.map(([h]) => (h === "dev-s" ? `${device}-s` : h))))];
  out.push(
    row([
      "starting model",
      f(baseline?.accuracy),
      f(baseline?.accuracy_sum),
      f(baseline?.margin),
      f(baseline?.chosen_nll),
      "",
      "",
      "",
    ]),
  );
  arms.forEach((a, i) => {
    out.push(
      tintOf(i)(paint)(
        row([
          a.name,
          f(a.final?.accuracy),
          f(a.final?.accuracy_sum),
          f(a.final?.margin),
          f(a.final?.chosen_nll),
          a.total.device_s.toFixed(1),
          String(Math.round(a.total.tokens)),
          a.total.wall_s.toFixed(1),
        ]),
      ),
    );
    if (a.stages.length > 1)
      for (const s of a.stages)
        out.push(
          paint.dim(
            row([
              `  ${s.stage} (${s.trainer})`,
              "",
              "",
              "",
              "",
              s.device_s.toFixed(1),
              String(Math.round(s.tokens)),
              s.wall_s.toFixed(1),
            ]),
          ),
        );
  });
  return out;
}
