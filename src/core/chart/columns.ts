/**
 * Folds a series' bins into a fixed number of pixel columns over an x window: first, last, min
 * and max per column (M4), so spikes survive any zoom level.
 */
import { mergeStats, type Series, type Stats } from "./series.js";

/** One screen column of a chart: the statistics of the bins that fall in it. */
export type Column = Stats;

export interface XRange {
  x0: number;
  x1: number;
}

/** The x span a set of series covers, or undefined when all are empty. */
export function xRange(series: readonly Series[]): XRange | undefined {
  let x0 = Infinity;
  let x1 = -Infinity;
  for (const s of series) {
    const first = s.bins[0];
    const last = s.bins.at(-1);
    if (!first || !last) continue;
    x0 = Math.min(x0, first.firstX);
    x1 = Math.max(x1, last.lastX);
  }
  return x0 <= x1 ? { x0, x1 } : undefined;
}

/** The column an x lands in; the whole window maps onto `count` columns. */
function columnOf(x: number, range: XRange, count: number): number {
  if (range.x1 <= range.x0) return 0;
  const c = Math.round(((x - range.x0) / (range.x1 - range.x0)) * (count - 1));
  return Math.min(count - 1, Math.max(0, c));
}

export function toColumns(series: Series, range: XRange, count: number): Array<Column | undefined> {
  const out: Array<Column | undefined> = new Array<Column | undefined>(count).fill(undefined);
  for (const bin of series.bins) {
    if (bin.lastX < range.x0 || bin.firstX > range.x1) continue;
    const c = columnOf(bin.firstX, range, count);
    const col = out[c];
    if (!col) {
      out[c] = {
        first: bin.first,
        last: bin.last,
        min: bin.min,
        max: bin.max,
        sum: bin.sum,
        count: bin.count,
        nonFinite: bin.nonFinite,
      };
      continue;
    }
    mergeStats(col, bin);
  }
  return out;
}

/** Finite min and max over columns, or undefined when there is no finite value. */
export function yExtent(columns: ReadonlyArray<Column | undefined>): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const c of columns) {
    if (!c || c.count === 0) continue;
    min = Math.min(min, c.min);
    max = Math.max(max, c.max);
  }
  return min <= max ? { min, max } : undefined;
}
