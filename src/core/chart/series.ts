/**
 * A metric's history, bounded in memory however long the run: min/max bins of width 2^level,
 * anchored at x = 0 (trackio's fix for re-binning flicker). An append touches only the last bin,
 * so what is drawn for old data never moves; when there are too many bins, neighbours merge
 * pairwise into the next level. Appends cost O(1) amortised: a merge pass over B bins happens
 * only after B/2 new bins. Points must arrive in x order; a late point folds into the last bin.
 */

/** Bins kept before merging: at least a quarter of this remains, enough for any chart width. */
export const MAX_BINS = 1024;

/**
 * The summary statistics a bin and a chart column share. `first`..`max` are over finite values
 * only (NaN when there is none); `count` counts finite values; `nonFinite` the NaN or infinite
 * ones (drawn as gaps and marks).
 */
export interface Stats {
  first: number;
  last: number;
  min: number;
  max: number;
  sum: number;
  count: number;
  nonFinite: number;
}

interface Bin extends Stats {
  /** Index of the bin at the current level: it covers [index·2^level, (index+1)·2^level). */
  index: number;
  firstX: number;
  lastX: number;
}

export interface Point {
  x: number;
  y: number;
}

export class Series {
  /** Bin width is 2^level. */
  level = 0;
  readonly bins: Bin[] = [];
  /** Points pushed so far, finite or not. */
  length = 0;
  /** The last point pushed (NaN included). */
  last: Point | undefined;
  /** The last finite point pushed. */
  lastFinite: Point | undefined;
  nonFinite = 0;

  constructor(readonly maxBins = MAX_BINS) {}

  push(x: number, y: number): void {
    this.length++;
    this.last = { x, y };
    const finite = Number.isFinite(y);
    if (finite) this.lastFinite = { x, y };
    else this.nonFinite++;
    const index = Math.floor(Math.max(0, x) / 2 ** this.level);
    const tail = this.bins.at(-1);
    if (tail && index <= tail.index) {
      fold(tail, x, y, finite);
      return;
    }
    const bin: Bin = {
      index,
      firstX: x,
      lastX: x,
      first: NaN,
      last: NaN,
      min: NaN,
      max: NaN,
      sum: 0,
      count: 0,
      nonFinite: 0,
    };
    fold(bin, x, y, finite);
    this.bins.push(bin);
    if (this.bins.length > this.maxBins) this.compact();
  }

  /** The finite value at or before `x` (its bin's last value), for deltas like "Δ over 100 steps". */
  valueAt(x: number): number | undefined {
    let lo = 0;
    let hi = this.bins.length - 1;
    let found: Bin | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const bin = this.bins[mid]!;
      if (bin.firstX <= x) {
        found = bin;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found && found.count > 0 ? found.last : undefined;
  }

  /** Raises the level until at most half the budget is used. */
  private compact(): void {
    while (this.bins.length > this.maxBins / 2) {
      this.level++;
      let out = 0;
      for (const bin of this.bins) {
        const index = bin.index >> 1;
        const prev = out > 0 ? this.bins[out - 1]! : undefined;
        if (prev && prev.index === index) merge(prev, bin);
        else this.bins[out++] = { ...bin, index };
      }
      this.bins.length = out;
    }
  }
}

function fold(bin: Bin, x: number, y: number, finite: boolean): void {
  bin.lastX = Math.max(bin.lastX, x);
  if (!finite) {
    bin.nonFinite++;
    return;
  }
  if (bin.count === 0) {
    bin.first = y;
    bin.min = y;
    bin.max = y;
  } else {
    bin.min = Math.min(bin.min, y);
    bin.max = Math.max(bin.max, y);
  }
  bin.last = y;
  bin.sum += y;
  bin.count++;
}

function merge(into: Bin, next: Bin): void {
  into.lastX = Math.max(into.lastX, next.lastX);
  mergeStats(into, next);
}

/** Folds `next` (later in x) into `into`. */
export function mergeStats(into: Stats, next: Stats): void {
  into.nonFinite += next.nonFinite;
  if (next.count === 0) return;
  if (into.count === 0) {
    into.first = next.first;
    into.min = next.min;
    into.max = next.max;
  } else {
    into.min = Math.min(into.min, next.min);
    into.max = Math.max(into.max, next.max);
  }
  into.last = next.last;
  into.sum += next.sum;
  into.count += next.count;
}
