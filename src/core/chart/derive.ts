/**
 * What a chart draws of a series under the view's settings: smoothed (EMA), on a log scale, over
 * another x (tokens, wall time), within a window of x. A derived series is rebuilt from the
 * bins (at most MAX_BINS), so it costs the same whatever the run's length; the stored history
 * is never changed.
 */
import type { XRange } from "./columns.js";
import { Series } from "./series.js";

/** EMA weights offered by the view, `0` meaning no smoothing (TensorBoard's slider, in steps). */
export const SMOOTHING_LEVELS = [0, 0.6, 0.9, 0.99] as const;

interface DeriveOptions {
  /** EMA weight of the past, 0 (none) to below 1. */
  ema?: number;
  /** Plot log10(y); values <= 0 are left out. */
  logY?: boolean;
  /** Maps a step to the x to draw it at; points it can't map are left out. */
  mapX?: (x: number) => number | undefined;
}

export function deriveSeries(s: Series, o: DeriveOptions): Series {
  const ema = o.ema ?? 0;
  if (ema <= 0 && !o.logY && !o.mapX) return s;
  const out = new Series(s.maxBins);
  const mx = o.mapX ?? ((x: number) => x);
  const my = o.logY ? (y: number) => (y > 0 ? Math.log10(y) : undefined) : (y: number) => y;
  let avg = 0;
  let weight = 0;
  const put = (x: number, y: number | undefined) => {
    const nx = mx(x);
    if (nx === undefined || y === undefined) return;
    out.push(nx, y);
  };
  for (const b of s.bins) {
    if (b.count === 0) {
      if (b.nonFinite > 0) put(b.firstX, NaN);
      continue;
    }
    if (ema > 0) {
      // Debiased, as TensorBoard does: the first points are not pulled towards 0.
      const mean = b.sum / b.count;
      avg = avg * ema + mean * (1 - ema);
      weight = weight * ema + (1 - ema);
      put(b.lastX, my(avg / weight));
      continue;
    }
    put(b.firstX, my(b.first));
    put(b.firstX, my(b.min));
    put(b.firstX, my(b.max));
    put(b.lastX, my(b.last));
  }
  return out;
}

/**
 * The part of `full` a view shows: `zoom` 1 is all of it, 2 the half ending `pan` windows
 * before the newest point, and so on. `pan` is clamped so the window stays inside.
 */
export function windowOf(full: XRange, zoom: number, pan: number): XRange {
  if (zoom <= 1) return full;
  const span = full.x1 - full.x0;
  const w = span / zoom;
  const maxPan = zoom - 1;
  const p = Math.min(maxPan, Math.max(0, pan));
  const x1 = full.x1 - p * w;
  return { x0: x1 - w, x1 };
}

/** A step-to-x map from a series of that x over steps (tokens or seconds): its last value at or before the step. */
export function stepMap(over: Series | undefined): ((step: number) => number | undefined) | undefined {
  if (!over || over.length === 0) return undefined;
  return (step) => over.valueAt(step);
}
