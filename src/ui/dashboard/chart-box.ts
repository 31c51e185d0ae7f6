/**
 * One chart in a box, as exactly `height` strings of exactly `width` cells:
 *
 *   ┌─ loss ──────────── 0.512 ─┐
 *   │ 0.75│⢴⣠⣄ ┈ ┈ ┈ ┈ ┈ ┈ ┈ ┈ ┈ │
 *   │ 0.30│     ⠉⠛⠃⠈⠛⡿⣤⣷⣠       │
 *   └─────┴0──────────── 1240 ──┘
 */
import { xRange } from "../../core/chart/columns.js";
import { deriveSeries, SMOOTHING_LEVELS, stepMap, windowOf } from "../../core/chart/derive.js";
import { rasterize, type Layer, type RunTag } from "../../core/chart/raster.js";
import type { StageDetail } from "../../core/run/stage-detail.js";
import { seriesOf, type ChartSpec, type Tone } from "./charts-for.js";
import { clock } from "../../core/clock.js";
import { compact } from "./numbers.js";
import { padEnd, width as cells } from "./text.js";
import { DEFAULT_SETTINGS, type DashboardSettings } from "./settings.js";
import { SYMBOLS, type Painter, type Theme } from "./theme.js";

/** Axis labels take 5 cells: compact() never writes more. */
const LABEL = 5;

/** The x axis in the settings, as a step map and a unit for the axis label. */
function xAxisOf(
  detail: StageDetail,
  settings: DashboardSettings,
): { map?: (x: number) => number | undefined; unit: string } {
  if (settings.xAxis === "tokens") {
    const map = stepMap(detail.history.get("num_tokens"));
    return map ? { map, unit: "tok" } : { unit: "step" };
  }
  if (settings.xAxis === "time") return { map: stepMap(detail.wallClock), unit: "s" };
  return { unit: "step" };
}

export function chartBox(
  spec: ChartSpec,
  detail: StageDetail,
  width: number,
  height: number,
  theme: Theme,
  paint: Painter,
  settings: DashboardSettings = DEFAULT_SETTINGS,
): string[] {
  const b = SYMBOLS[theme.glyphs].box;
  const plotCols = width - LABEL - 3;
  const plotRows = height - 2;
  const layers: Layer[] = [];
  const tones: Tone[] = [];
  const axis = xAxisOf(detail, settings);
  const ema = SMOOTHING_LEVELS[settings.smoothing] ?? 0;
  for (const l of spec.layers) {
    const series = seriesOf(detail, l);
    if (!series) continue;
    // Eval points are few: smoothing them would hide them.
    layers.push({
      series: deriveSeries(series, { ema: l.source === "train" ? ema : 0, logY: settings.logY, mapX: axis.map }),
      style: l.style,
    });
    tones.push(l.tone);
  }
  const full = xRange(layers.map((l) => l.series));
  const range = full ? windowOf(full, settings.timeZoom, settings.timePan) : undefined;
  const guides = settings.logY ? spec.guides.filter((g) => g > 0).map((g) => Math.log10(g)) : spec.guides;
  const raster = rasterize(layers, { cols: plotCols, rows: plotRows, glyphs: theme.glyphs, guides, range });
  const yLabel = (y: number) => compact(settings.logY ? 10 ** y : y);

  const lastValues = spec.layers
    .filter((l) => l.source === "train")
    .map((l) => compact(seriesOf(detail, l)?.last?.y, 6));
  const value = lastValues.join("/");
  const title = ` ${spec.title} `;
  const fill = width - 2 - 1 - cells(title) - cells(value) - 3;
  const top =
    fill >= 1
      ? paint.dim(b.tl + b.h) + paint.bold(title) + paint.dim(b.h.repeat(fill)) + ` ${value} ` + paint.dim(b.h + b.tr)
      : paint.dim(b.tl) + padEnd(title, width - 2) + paint.dim(b.tr);

  const body: string[] = [];
  for (let r = 0; r < plotRows; r++) {
    const label = !raster ? "" : r === 0 ? yLabel(raster.yMax) : r === plotRows - 1 ? yLabel(raster.yMin) : "";
    const plot = raster
      ? raster.rows[r]!.map((run) => colorRun(run.text, run.tag, tones, paint)).join("")
      : r === Math.floor(plotRows / 2)
        ? padEnd(centre("waiting for data", plotCols), plotCols)
        : " ".repeat(plotCols);
    body.push(paint.dim(b.v) + label.padStart(LABEL) + paint.dim(b.v) + plot + paint.dim(b.v));
  }

  const xLabel = (x: number) =>
    axis.unit === "s" ? clock(x) : axis.unit === "step" && Math.abs(x) < 1e5 ? String(Math.round(x)) : compact(x);
  const x0 = raster ? xLabel(raster.range.x0) : "";
  const x1 = raster ? `${xLabel(raster.range.x1)}${axis.unit === "tok" ? " tok" : ""}` : "";
  const gap = plotCols - x0.length - x1.length - 1;
  const xLine = gap >= 1 ? x0 + b.h.repeat(gap) + x1 + b.h : b.h.repeat(plotCols);
  const bottom = paint.dim(b.bl + b.h.repeat(LABEL) + b.tee + xLine + b.br);
  return [top, ...body, bottom];
}

function colorRun(text: string, tag: RunTag, tones: readonly Tone[], paint: Painter): string {
  if (tag === null) return text;
  if (tag === "guide") return paint.dim(text);
  if (tag === "mark") return paint.red(text);
  const tone = tones[tag];
  return tone === "good"
    ? paint.green(text)
    : tone === "bad"
      ? paint.red(text)
      : tone === "eval"
        ? paint.magenta(text)
        : paint.cyan(text);
}

function centre(text: string, n: number): string {
  const pad = Math.max(0, Math.floor((n - text.length) / 2));
  return " ".repeat(pad) + text;
}
