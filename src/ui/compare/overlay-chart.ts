/**
 * One chart in a box with a line per arm on a shared x axis, as exactly `height` strings of
 * `width` cells: the compare view's loss and preference-accuracy charts. Arms are told apart by
 * colour and by the legend in the title (arm names in their colours).
 */
import type { XRange } from "../../core/chart/columns.js";
import { rasterize, type Layer, type RunTag } from "../../core/chart/raster.js";
import { Series } from "../../core/chart/series.js";
import { compact } from "../dashboard/numbers.js";
import { padEnd, width as cells } from "../dashboard/text.js";
import { SYMBOLS, type Painter, type Theme } from "../dashboard/theme.js";

const LABEL = 5;

interface ArmLine {
  name: string;
  points: ReadonlyArray<{ x: number; y: number }>;
  style: "line" | "dots";
}

type Tint = (p: Painter) => (text: string) => string;
/** Arm colours in order; the legend uses the same. */
const ARM_TINTS: readonly Tint[] = [(p) => p.cyan, (p) => p.magenta, (p) => p.yellow, (p) => p.green, (p) => p.blue];
export const tintOf = (i: number) => ARM_TINTS[i % ARM_TINTS.length]!;

/** `range`: the x window, shared by the charts of one view so their x positions line up. */
export function overlayChart(
  title: string,
  arms: readonly ArmLine[],
  xUnit: string,
  guides: readonly number[],
  width: number,
  height: number,
  theme: Theme,
  paint: Painter,
  range?: XRange,
): string[] {
  const b = SYMBOLS[theme.glyphs].box;
  const plotCols = width - LABEL - 3;
  const plotRows = height - 2;
  const layers: Layer[] = arms.map((a) => {
    const s = new Series();
    for (const p of [...a.points].sort((m, n) => m.x - n.x)) s.push(p.x, p.y);
    return { series: s, style: a.style };
  });
  const raster = arms.some((a) => a.points.length)
    ? rasterize(layers, { cols: plotCols, rows: plotRows, glyphs: theme.glyphs, guides, range })
    : undefined;
  const legend = arms.map((a, i) => tintOf(i)(paint)(a.name)).join(" ");
  const head = ` ${title} `;
  // The legend goes where it fits; colours still tell the arms apart in a chart without one.
  const fill = width - 3 - cells(head) - cells(legend) - 2;
  const bare = width - 3 - cells(head);
  const top =
    fill >= 1
      ? paint.dim(b.tl + b.h) + paint.bold(head) + paint.dim(b.h.repeat(fill)) + ` ${legend} ` + paint.dim(b.tr)
      : bare >= 1
        ? paint.dim(b.tl + b.h) + paint.bold(head) + paint.dim(b.h.repeat(bare) + b.tr)
        : paint.dim(b.tl) + padEnd(head, width - 2) + paint.dim(b.tr);
  const body: string[] = [];
  for (let r = 0; r < plotRows; r++) {
    const label = !raster ? "" : r === 0 ? compact(raster.yMax) : r === plotRows - 1 ? compact(raster.yMin) : "";
    const plot = raster
      ? raster.rows[r]!.map((run) => tint(run.text, run.tag, paint)).join("")
      : r === Math.floor(plotRows / 2)
        ? padEnd("  no data", plotCols)
        : " ".repeat(plotCols);
    body.push(paint.dim(b.v) + label.padStart(LABEL) + paint.dim(b.v) + plot + paint.dim(b.v));
  }
  const x0 = raster ? compact(raster.range.x0) : "";
  const x1 = raster ? `${compact(raster.range.x1)} ${xUnit}` : "";
  const gap = plotCols - x0.length - x1.length - 1;
  const xLine = gap >= 1 ? x0 + b.h.repeat(gap) + x1 + b.h : b.h.repeat(plotCols);
  return [top, ...body, paint.dim(b.bl + b.h.repeat(LABEL) + b.tee + xLine + b.br)];
}

function tint(text: string, tag: RunTag, paint: Painter): string {
  if (tag === null) return text;
  if (tag === "guide") return paint.dim(text);
  if (tag === "mark") return paint.red(text);
  return tintOf(tag)(paint)(text);
}
