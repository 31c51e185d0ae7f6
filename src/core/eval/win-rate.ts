/**
 * Judged win rates: the arithmetic alone, from verdicts a judge already gave.
 *
 * For each prompt a judge saw the two answers twice, once in each order (the model under test
 * shown first, then second), so that a judge that favours a position cannot move the result:
 * a prompt's score is the mean of its two orders (win 1, tie 0.5, loss 0), and the position
 * bias is measured and reported instead of cancelled silently. The win rate carries a Wilson 95%
 * interval on prompts, and a length-controlled win rate (AlpacaEval 2's idea) says what the win
 * rate would be if the two answers had been of the same length.
 */

/** What the judge said about one ordered pair: the first-shown answer wins, the second, or a tie. */
export type Verdict = "first" | "second" | "tie";

/** One prompt judged in both orders: `x` is the model under test, `y` the one it is measured against. */
export interface Judged {
  /** The verdict when x's answer was shown first; null when the judge's reply could not be read. */
  xFirst: Verdict | null;
  /** The verdict when y's answer was shown first. */
  yFirst: Verdict | null;
  /** Answer lengths in characters (AlpacaEval measures length in characters too). */
  xLength: number;
  yLength: number;
}

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/** x's score for one order: 1 a win, 0.5 a tie (and an unreadable reply), 0 a loss. */
export function orderScore(verdict: Verdict | null, xShown: "first" | "second"): number {
  if (verdict === null || verdict === "tie") return 0.5;
  return verdict === xShown ? 1 : 0;
}

/** A prompt's score: the mean of its two orders, so one of 0, 0.25, 0.5, 0.75, 1. */
export function promptScore(j: Judged): number {
  return (orderScore(j.xFirst, "first") + orderScore(j.yFirst, "second")) / 2;
}

export interface Interval {
  low: number;
  high: number;
}

/**
 * The Wilson score interval for a proportion `p` measured on `n` prompts. Fractional scores
 * (ties, split orders) are taken as that many successes: a prompt scoring 0.5 varies less than a
 * coin flip, so the interval is conservative (wider than the truth) when there are ties.
 */
export function wilson(p: number, n: number, z = Z95): Interval {
  if (n <= 0) return { low: 0, high: 1 };
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

interface PositionBias {
  /** Verdicts that named a winner (not a tie, not unreadable), over both orders of every prompt. */
  decisive: number;
  /** Of those, how many chose the answer shown first. */
  firstWins: number;
  /** firstWins / decisive (0.5 is an unbiased judge), null with no decisive verdict. */
  firstRate: number | null;
  ties: number;
  unreadable: number;
  /** Prompts whose two orders named the same model (a tie in both orders counts as agreeing). */
  consistent: number;
}

export function positionBias(judged: readonly Judged[]): PositionBias {
  let decisive = 0;
  let firstWins = 0;
  let ties = 0;
  let unreadable = 0;
  let consistent = 0;
  for (const j of judged) {
    for (const v of [j.xFirst, j.yFirst]) {
      if (v === null) unreadable++;
      else if (v === "tie") ties++;
      else {
        decisive++;
        if (v === "first") firstWins++;
      }
    }
    if (orderScore(j.xFirst, "first") === orderScore(j.yFirst, "second")) consistent++;
  }
  return { decisive, firstWins, firstRate: decisive ? firstWins / decisive : null, ties, unreadable, consistent };
}

interface LengthFit {
  /** Intercept and slope of logit(score) = b0 + b1 * tanh(length difference / its spread). */
  b0: number;
  b1: number;
  /** The spread (population standard deviation) of the length differences, in characters. */
  scale: number;
  iterations: number;
}

/** Below this many prompts the length fit rests on a handful of points: the report marks it unstable. */
export const LC_MIN_PROMPTS = 20;

/** A ridge small enough not to move a fit with data, large enough to keep a perfect record finite. */
const LC_RIDGE = 1e-3;
const LC_MAX_ITERATIONS = 100;

const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));

/**
 * AlpacaEval 2's length control, small and deterministic: a logistic regression of each prompt's
 * score (fractional scores as soft labels) on tanh(d / sd(d)), d = x's answer length minus y's,
 * fitted by Newton's method from zero with a small ridge on both coefficients; the
 * length-controlled win rate is the fit read at d = 0, sigmoid(b0).
 */
export function lengthFit(scores: readonly number[], differences: readonly number[], ridge = LC_RIDGE): LengthFit {
  const n = scores.length;
  const mean = differences.reduce((s, d) => s + d, 0) / Math.max(1, n);
  const scale = Math.sqrt(differences.reduce((s, d) => s + (d - mean) ** 2, 0) / Math.max(1, n));
  const t = differences.map((d) => (scale > 0 ? Math.tanh(d / scale) : 0));
  let b0 = 0;
  let b1 = 0;
  let iterations = 0;
  for (; iterations < LC_MAX_ITERATIONS; iterations++) {
    // Gradient and Hessian of the penalised log-likelihood.
    let g0 = -ridge * b0;
    let g1 = -ridge * b1;
    let h00 = ridge;
    let h01 = 0;
    let h11 = ridge;
    for (let i = 0; i < n; i++) {
      const p = sigmoid(b0 + b1 * t[i]!);
      const w = p * (1 - p);
      g0 += scores[i]! - p;
      g1 += (scores[i]! - p) * t[i]!;
      h00 += w;
      h01 += w * t[i]!;
      h11 += w * t[i]! * t[i]!;
    }
    const det = h00 * h11 - h01 * h01;
    const d0 = (h11 * g0 - h01 * g1) / det;
    const d1 = (h00 * g1 - h01 * g0) / det;
    b0 += d0;
    b1 += d1;
    if (Math.abs(d0) < 1e-10 && Math.abs(d1) < 1e-10) {
      iterations++;
      break;
    }
  }
  return { b0, b1, scale, iterations };
}

export interface WinRate {
  /** Prompts judged (each in both orders). */
  prompts: number;
  /** x's wins, ties and losses counted per prompt (a prompt's mean above, at or below 0.5). */
  wins: number;
  ties: number;
  losses: number;
  /** Mean prompt score: the win rate of x against y, ties as half a win. */
  winRate: number;
  /** Wilson 95% interval on prompts. */
  interval: Interval;
  /** The win rate at equal answer lengths (null with no prompt). */
  lengthControlled: number | null;
  lengthFit: LengthFit | null;
  /** Mean answer lengths in characters. */
  xMeanLength: number;
  yMeanLength: number;
  positionBias: PositionBias;
}

export function winRate(judged: readonly Judged[]): WinRate {
  const scores = judged.map(promptScore);
  const n = scores.length;
  const rate = n ? scores.reduce((s, v) => s + v, 0) / n : 0.5;
  const fit = n
    ? lengthFit(
        scores,
        judged.map((j) => j.xLength - j.yLength),
      )
    : null;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : 0);
  return {
    prompts: n,
    wins: scores.filter((s) => s > 0.5).length,
    ties: scores.filter((s) => s === 0.5).length,
    losses: scores.filter((s) => s < 0.5).length,
    winRate: rate,
    interval: wilson(rate, n),
    lengthControlled: fit ? sigmoid(fit.b0) : null,
    lengthFit: fit,
    xMeanLength: mean(judged.map((j) => j.xLength)),
    yMeanLength: mean(judged.map((j) => j.yLength)),
    positionBias: positionBias(judged),
  };
}

/** The half-width of the Wilson interval at a 50% win rate: how far n prompts can be trusted. */
export function halfWidthAt(n: number, p = 0.5): number {
  const i = wilson(p, n);
  return (i.high - i.low) / 2;
}
