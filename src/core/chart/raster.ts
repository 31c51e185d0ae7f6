/**
 * Draws series into a grid of terminal cells: braille (2x4 dots a cell) or ASCII (1x3). Returns
 * one list of runs per row, each run tagged with the layer that drew it, so the view can colour
 * a whole row with a handful of escape codes instead of one node per cell. Layers are drawn in
 * order, the first on top (a cell shows one layer: a terminal cell has one colour).
 */
import { toColumns, xRange, yExtent, type Column, type XRange } from "./columns.js";
import type { Series } from "./series.js";

export type GlyphMode = "braille" | "ascii";

export interface Layer {
  series: Series;
  /** `line` joins the points; `dots` marks each column's last value with a bullet. */
  style: "line" | "dots";
}

interface RasterOptions {
  cols: number;
  rows: number;
  glyphs: GlyphMode;
  /** Values worth a dotted guide line (ln 2 on a DPO loss, 0.5 on accuracies, 0 on margins). */
  guides?: readonly number[];
  /** The x window; defaults to the span of all layers. */
  range?: XRange;
}

/** What drew a run: a layer's index, a guide, a non-finite mark, or nothing. */
export type RunTag = number | "guide" | "mark" | null;

export interface Run {
  text: string;
  tag: RunTag;
}

interface Raster {
  rows: Run[][];
  yMin: number;
  yMax: number;
  range: XRange;
}

const BRAILLE_BITS = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
] as const;
/** ASCII cells have three dots stacked: top, middle, bottom. */
const ASCII_CHARS = [" ", "'", "-", "|", ".", ":", "|", "|"] as const;

const GLYPHS = {
  braille: { w: 2, h: 4, dot: "•", guide: "┈", mark: "✗" },
  ascii: { w: 1, h: 3, dot: "o", guide: ".", mark: "x" },
} as const;

export function rasterize(layers: readonly Layer[], opts: RasterOptions): Raster | undefined {
  const g = GLYPHS[opts.glyphs];
  const { cols, rows } = opts;
  if (cols <= 0 || rows <= 0) return undefined;
  const range = opts.range ?? xRange(layers.map((l) => l.series));
  if (!range) return undefined;
  const width = cols * g.w;
  const height = rows * g.h;
  const columns = layers.map((l) => toColumns(l.series, range, width));
  const [yMin, yMax] = paddedExtent(columns);
  const py = (y: number) => Math.min(height - 1, Math.max(0, Math.round(((yMax - y) / (yMax - yMin)) * (height - 1))));

  const bits = layers.map(() => new Uint8Array(cols * rows));
  const dots = layers.map(() => new Uint8Array(cols * rows));
  const marks = new Uint8Array(cols);
  layers.forEach((layer, li) => {
    const set = (x: number, y: number) => {
      const cell = Math.floor(y / g.h) * cols + Math.floor(x / g.w);
      bits[li]![cell]! |= opts.glyphs === "braille" ? BRAILLE_BITS[y % 4]![x % 2]! : 1 << (y % 3);
    };
    let prev: { x: number; y: number } | null = null;
    columns[li]!.forEach((col, x) => {
      if (!col) return;
      if (col.nonFinite > 0) {
        marks[Math.floor(x / g.w)] = 1;
        prev = null;
      }
      if (col.count === 0) return;
      if (layer.style === "dots") {
        dots[li]![Math.floor(py(col.last) / g.h) * cols + Math.floor(x / g.w)] = 1;
        return;
      }
      if (prev) line(prev.x, prev.y, x, py(col.first), set);
      for (let y = py(col.max); y <= py(col.min); y++) set(x, y);
      prev = { x, y: py(col.last) };
    });
  });

  const guideRows = new Set<number>();
  for (const v of opts.guides ?? []) if (v >= yMin && v <= yMax) guideRows.add(Math.floor(py(v) / g.h));

  const out: Run[][] = [];
  for (let r = 0; r < rows; r++) {
    const runs: Run[] = [];
    const put = (ch: string, tag: RunTag) => {
      const last = runs.at(-1);
      if (last && last.tag === tag) last.text += ch;
      else runs.push({ text: ch, tag });
    };
    for (let c = 0; c < cols; c++) {
      const cell = r * cols + c;
      if (r === 0 && marks[c]) {
        put(g.mark, "mark");
        continue;
      }
      let drawn = false;
      for (let li = 0; li < layers.length && !drawn; li++) {
        if (dots[li]![cell]) {
          put(g.dot, li);
          drawn = true;
        } else if (bits[li]![cell]) {
          const b = bits[li]![cell]!;
          put(opts.glyphs === "braille" ? String.fromCharCode(0x2800 + b) : ASCII_CHARS[b]!, li);
          drawn = true;
        }
      }
      if (drawn) continue;
      if (guideRows.has(r) && c % 2 === 0) put(g.guide, "guide");
      else put(" ", null);
    }
    out.push(runs);
  }
  return { rows: out, yMin, yMax, range };
}

/** Finite y extent over all layers, widened when flat so a constant still draws mid-chart. */
function paddedExtent(columns: ReadonlyArray<ReadonlyArray<Column | undefined>>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const cs of columns) {
    const e = yExtent(cs);
    if (!e) continue;
    min = Math.min(min, e.min);
    max = Math.max(max, e.max);
  }
  if (min > max) return [0, 1];
  if (max - min < 1e-12) {
    const pad = Math.max(Math.abs(max) * 0.1, 0.05);
    return [min - pad, max + pad];
  }
  return [min, max];
}

/** Bresenham between two dots. */
function line(x0: number, y0: number, x1: number, y1: number, set: (x: number, y: number) => void): void {
  const dx = Math.abs(x1 - x0);
  const dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  for (;;) {
    set(x0, y0);
    if (x0 === x1 && y0 === y1) return;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}
