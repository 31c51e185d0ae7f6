/** One-row trend lines: block eighths (robust in any font with box drawing) or an ASCII ramp. */
import { toColumns, xRange, yExtent } from "./columns.js";
import type { GlyphMode } from "./raster.js";
import type { Series } from "./series.js";

const BLOCKS = "▁▂▃▄▅▆▇█";
const RAMP = "_.-:=+*#";

/** A sparkline `width` characters wide over the whole series; empty columns repeat the last value. */
export function sparkline(series: Series, width: number, glyphs: GlyphMode = "braille"): string {
  const range = xRange([series]);
  if (!range || width <= 0) return " ".repeat(Math.max(0, width));
  const columns = toColumns(series, range, width);
  const ext = yExtent(columns);
  const levels = glyphs === "ascii" ? RAMP : BLOCKS;
  let out = "";
  let prev: string | null = null;
  for (const col of columns) {
    if (col && col.nonFinite > 0 && col.count === 0) {
      out += glyphs === "ascii" ? "x" : "✗";
      prev = null;
      continue;
    }
    if (!col || col.count === 0 || !ext) {
      out += prev ?? " ";
      continue;
    }
    const mean = col.sum / col.count;
    const span = ext.max - ext.min;
    const level =
      span > 0 ? Math.round(((mean - ext.min) / span) * (levels.length - 1)) : Math.floor(levels.length / 2);
    prev = levels[level]!;
    out += prev;
  }
  return out;
}
