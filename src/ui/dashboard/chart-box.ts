/**
 * One chart in a box, as exactly `height` strings of exactly `width` cells:
 *
 *   ┌─ loss ──────────── 0.512 ─┐
 *   │ 0.75│⢴⣠⣄ ┈ ┈ ┈ ┈ ┈ ┈ ┈ ┈ ┈ │
 *   │ 0.30│     ⠉⠛⠃⠈⠛⡿⣤⣷⣠       │
 *   └─────┴0──────────── 1240 ──┘
 */
import { rasterize, type Layer, type RunTag } from "../../core/chart/raster.js";
import type { StageDetail } from "../../core/run/stage-detail.js";
import { seriesOf, type ChartSpec, type Tone } from "./charts-for.js";
import { compact } from "./numbers.js";
import { padEnd, width as cells } from "./text.js";
import { SYMBOLS, type Painter, type Theme } from "./theme.js";

/** Axis labels take 5 cells: compact() never writes more. */
const LABEL = 5;
/** Narrower than this, a chart is not worth drawing. */
export const MIN_CHART_WIDTH = 20;

export function chartBox(spec: ChartSpec, detail: StageDetail, width: number, height: number, theme: Theme, paint: Painter): string[] {
  const b = SYMBOLS[theme.glyphs].box;
  const plotCols = width - LABEL - 3;
  const plotRows = height - 2;
  const layers: Layer[] = [];
  const tones: Tone[] = [];
  for (const l of spec.layers) {
    const series = seriesOf(detail, l);
    if (!series) continue;
    layers.push({ series, style: l.style });
    tones.push(l.tone);
  }
  const raster = rasterize(layers, { cols: plotCols, rows: plotRows, glyphs: theme.glyphs, guides: spec.guides });

  const lastValues = spec.layers.filter((l) => l.source === "train").map((l) => compact(seriesOf(detail, l)?.last?.y, 6));
  const value = lastValues.join("/");
  const title = ` ${spec.title} `;
  const fill = width - 2 - 1 - cells(title) - cells(value) - 3;
  const top =
    fill >= 1
      ? paint.dim(b.tl + b.h) + paint.bold(title) + paint.dim(b.h.repeat(fill)) + ` ${value} ` + paint.dim(b.h + b.tr)
      : paint.dim(b.tl) + padEnd(title, width - 2) + paint.dim(b.tr);

  const body: string[] = [];
  for (let r = 0; r < plotRows; r++) {
    const label = !raster ? "" : r === 0 ? compact(raster.yMax) : r === plotRows - 1 ? compact(raster.yMin) : "";
    const plot = raster ? raster.rows[r]!.map((run) => colorRun(run.text, run.tag, tones, paint)).join("") : r === Math.floor(plotRows / 2) ? padEnd(centre("waiting for data", plotCols), plotCols) : " ".repeat(plotCols);
    body.push(paint.dim(b.v) + label.padStart(LABEL) + paint.dim(b.v) + plot + paint.dim(b.v));
  }

  const x0 = raster ? String(Math.round(raster.range.x0)) : "";
  const x1 = raster ? `${Math.round(raster.range.x1)}` : "";
  const gap = plotCols - x0.length - x1.length - 1;
  const axis = gap >= 1 ? x0 + b.h.repeat(gap) + x1 + b.h : b.h.repeat(plotCols);
  const bottom = paint.dim(b.bl + b.h.repeat(LABEL) + b.tee + axis + b.br);
  return [top, ...body, bottom];
}

function colorRun(text: string, tag: RunTag, tones: readonly Tone[], paint: Painter): string {
  if (tag === null) return text;
  if (tag === "guide") return paint.dim(text);
  if (tag === "mark") return paint.red(text);
  const tone = tones[tag];
  return tone === "good" ? paint.green(text) : tone === "bad" ? paint.red(text) : tone === "eval" ? paint.magenta(text) : paint.cyan(text);
}

function centre(text: string, n: number): string {
  const pad = Math.max(0, Math.floor((n - text.length) / 2));
  return " ".repeat(pad) + text;
}
