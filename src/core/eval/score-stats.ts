/**
 * The arithmetic of reward-model scores and benchmark deltas: a mean with its 95% interval, the
 * win rate of one model's answers against another's on the same prompts (ties count a half), and
 * the difference of two benchmark scores with its standard error. Pure; hand-checked in
 * test/core/eval/score-stats.test.ts.
 */

/** Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond. */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
export const Z95 = 1.96;

export function t95(df: number): number {
  return df >= 1 && df <= T95.length ? T95[df - 1]! : Z95;
}

export interface Interval {
  /** The estimate. */
  value: number;
  /** The 95% interval's ends; null when the sample cannot give one (one value). */
  low: number | null;
  high: number | null;
  n: number;
}

/** The mean and its 95% t-interval (the sample standard deviation over sqrt n). */
export function meanInterval(values: readonly number[]): Interval {
  const n = values.length;
  if (n === 0) return { value: Number.NaN, low: null, high: null, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { value: mean, low: null, high: null, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const half = t95(n - 1) * Math.sqrt(variance / n);
  return { value: mean, low: mean - half, high: mean + half, n };
}

/**
 * Rewards closer than this are a tie: the same answer scored in another batch can differ in the
 * last bits (padding changes the kernels' summation order).
 */
const TIE_TOLERANCE = 1e-5;

export interface WinRate extends Interval {
  wins: number;
  ties: number;
  losses: number;
}

/**
 * How often `arm`'s answer out-scores `base`'s to the same prompt (index by index), ties a half,
 * with the Wilson score interval at 95% over the n prompts (wins + ties/2 successes): unlike the
 * normal interval it stays inside 0..1 and is not zero-width at 0% or 100% on a few prompts.
 */
export function winRate(arm: readonly number[], base: readonly number[]): WinRate {
  if (arm.length !== base.length)
    throw new Error(`win rate needs one answer per prompt on each side (${arm.length} against ${base.length})`);
  let wins = 0;
  let ties = 0;
  for (const [i, a] of arm.entries()) {
    const d = a - base[i]!;
    if (Math.abs(d) <= TIE_TOLERANCE) ties += 1;
    else if (d > 0) wins += 1;
  }
  const n = arm.length;
  const losses = n - wins - ties;
  if (n === 0) return { value: Number.NaN, low: null, high: null, n, wins, ties, losses };
  const p = (wins + ties / 2) / n;
  const { low, high } = wilson(p, n);
  return { value: p, low, high, n, wins, ties, losses };
}

/** The Wilson score interval at 95% for a proportion p observed on n trials. */
export function wilson(p: number, n: number, z = Z95): { low: number; high: number } {
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface Delta {
  /** after - before. */
  value: number;
  /** The difference's standard error, from the two scores' own (treated as independent). */
  stderr: number | null;
  low: number | null;
  high: number | null;
}

/**
 * A benchmark score's change, with a 95% normal interval. Both models answered the same questions,
 * so the two scores are positively correlated and this (independent) standard error overstates
 * the noise: an interval that excludes zero is a real change; one that includes it may still be.
 */
export function delta(
  after: { value: number; stderr: number | null },
  before: { value: number; stderr: number | null },
): Delta {
  const value = after.value - before.value;
  if (after.stderr === null || before.stderr === null) return { value, stderr: null, low: null, high: null };
  const stderr = Math.sqrt(after.stderr ** 2 + before.stderr ** 2);
  return { value, stderr, low: value - Z95 * stderr, high: value + Z95 * stderr };
}

/** Whether an interval lies wholly above (1), wholly below (-1) a point, or covers it (0). */
export function side(i: { low: number | null; high: number | null }, point: number): 1 | -1 | 0 {
  if (i.low !== null && i.low > point) return 1;
  if (i.high !== null && i.high < point) return -1;
  return 0;
}
