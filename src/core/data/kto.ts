/**
 * KTO's data, as `check` reports it: pairs are unpaired (one desirable and one undesirable example
 * each), and the class balance TRL recommends, desirable_weight * n_desirable /
 * (undesirable_weight * n_undesirable) in [1, 4/3] (KTO paper, Eq. 8). The runtime computes the
 * same (python/trellis_runtime/kto.py) and sets the weights when the recipe leaves both unset.
 */
import type { Shape } from "./shape.js";

const RATIO_LOW = 1;
const RATIO_HIGH = 4 / 3;

interface KtoBalance {
  desirable: number;
  undesirable: number;
  /** null when one label is missing. */
  ratio: number | null;
  desirableWeight: number;
  undesirableWeight: number;
  /** A weight was changed: both unset and the ratio out of range. */
  adjusted: boolean;
  inRange: boolean;
}

/** The weights a KTO stage trains with on this data: the recipe's, or the balanced ones. */
export function ktoBalance(desirable: number, undesirable: number, args: Record<string, unknown>): KtoBalance {
  const num = (v: unknown) => (typeof v === "number" ? v : 1);
  let [dW, uW] = [num(args.desirable_weight), num(args.undesirable_weight)];
  const ratioOf = () => (desirable && undesirable ? (dW * desirable) / (uW * undesirable) : null);
  const before = ratioOf();
  const outside = before !== null && (before < RATIO_LOW || before > RATIO_HIGH);
  const adjusted = outside && args.desirable_weight === undefined && args.undesirable_weight === undefined;
  if (adjusted) {
    // Rounded to 2 decimals away from the range's low end, so the ratio is at least 1 (as Python does).
    if (before < RATIO_LOW) dW = Math.ceil((100 * undesirable) / desirable) / 100;
    else uW = Math.floor((100 * desirable) / undesirable) / 100;
  }
  const ratio = ratioOf();
  const inRange = ratio === null || (ratio >= RATIO_LOW && ratio <= RATIO_HIGH);
  return { desirable, undesirable, ratio, desirableWeight: dW, undesirableWeight: uW, adjusted, inRange };
}

/** One clause for `check`: what a KTO stage makes of this file. */
export function ktoNote(
  shape: Shape,
  rows: number,
  desirableRows: number,
  args: Record<string, unknown>,
  role: "train" | "eval",
): string {
  const unpaired = shape.startsWith("unpaired-");
  const [desirable, undesirable] = unpaired ? [desirableRows, rows - desirableRows] : [rows, rows];
  const made = unpaired
    ? `KTO: ${desirable} desirable and ${undesirable} undesirable examples`
    : `KTO: unpaired into ${desirable} desirable and ${undesirable} undesirable examples`;
  if (role === "eval")
    return unpaired ? `${made}; unpaired eval data: held-out preference accuracy needs pairs and is skipped` : made;
  const b = ktoBalance(desirable, undesirable, args);
  if (b.ratio === null) return `${made}: KTO learns from both kinds; add examples with label ${desirable === 0}`;
  const weights = `desirable_weight ${fmt(b.desirableWeight)}, undesirable_weight ${fmt(b.undesirableWeight)}`;
  if (b.adjusted)
    return `${made}: imbalanced, so trellis sets ${weights} (weighted ratio ${b.ratio.toFixed(2)}, in TRL's recommended [1, 1.33])`;
  if (!b.inRange)
    return `${made}: with ${weights} the weighted ratio ${b.ratio.toFixed(2)} is outside TRL's recommended [1, 1.33]`;
  return `${made} (${weights}: weighted ratio ${b.ratio.toFixed(2)}, in TRL's recommended [1, 1.33])`;
}

const fmt = (n: number) => String(Number(n.toFixed(4)));

/**
 * A KTO stage's planned compute per preference pair, in training passes (6N per token): a pair is
 * two examples, each trained (6N), scored by the reference (2N, unless precomputed) and, for the
 * KL estimate, scored with another example's completion by the policy and the reference (2N each;
 * the reference's precomputed too). python/trellis_runtime/perf.py counts the same per token.
 */
export function ktoPassesPerPair(precomputeRef: boolean): number {
  return (2 * (precomputeRef ? 6 + 2 : 6 + 2 + 2 + 2)) / 6;
}
