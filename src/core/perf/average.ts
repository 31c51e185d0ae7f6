/**
 * Whole-stage throughput for the manifest, folded from the `throughput` of metrics events:
 * totals weighted by each interval's seconds, so a short interval counts for little.
 */
import type { RunEvent, Throughput } from "../events/protocol.js";

export interface ThroughputTotals {
  seconds: number;
  tokens: number;
  padding: number;
  samples: number;
  /** Sum of mfu x seconds over intervals where the MFU was known. */
  mfuSeconds: number;
  mfuKnownSeconds: number;
  intervals: number;
}

export interface ThroughputAverage {
  stage: string;
  tokens_per_s: number;
  samples_per_s: number;
  padding_fraction: number;
  mfu: number | null;
  seconds: number;
  intervals: number;
}

const empty = (): ThroughputTotals => ({
  seconds: 0,
  tokens: 0,
  padding: 0,
  samples: 0,
  mfuSeconds: 0,
  mfuKnownSeconds: 0,
  intervals: 0,
});

function addInterval(t: ThroughputTotals, x: Throughput): ThroughputTotals {
  const s = x.seconds;
  return {
    seconds: t.seconds + s,
    tokens: t.tokens + x.tokens_per_s * s,
    padding: t.padding + x.padding_per_s * s,
    samples: t.samples + x.samples_per_s * s,
    mfuSeconds: t.mfuSeconds + (x.mfu ?? 0) * s,
    mfuKnownSeconds: t.mfuKnownSeconds + (x.mfu === null ? 0 : s),
    intervals: t.intervals + 1,
  };
}

/** Folds one event into per-stage totals; other events leave the map as it was. */
export function foldThroughput(
  totals: ReadonlyMap<string, ThroughputTotals>,
  e: RunEvent,
): ReadonlyMap<string, ThroughputTotals> {
  if (e.type !== "metrics" || !e.throughput || !e.stage) return totals;
  const next = new Map(totals);
  next.set(e.stage, addInterval(totals.get(e.stage) ?? empty(), e.throughput));
  return next;
}

export function averages(totals: ReadonlyMap<string, ThroughputTotals>): ThroughputAverage[] {
  return [...totals].map(([stage, t]) => ({
    stage,
    tokens_per_s: t.tokens / t.seconds,
    samples_per_s: t.samples / t.seconds,
    padding_fraction: t.tokens + t.padding > 0 ? t.padding / (t.tokens + t.padding) : 0,
    mfu: t.mfuKnownSeconds > 0 ? t.mfuSeconds / t.mfuKnownSeconds : null,
    seconds: t.seconds,
    intervals: t.intervals,
  }));
}
