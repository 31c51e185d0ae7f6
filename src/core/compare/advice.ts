/**
 * The rules of thumb for "ORPO, or SFT then DPO?", applied to what is known before anything
 * runs (the data's size, the starting checkpoint, each arm's planned compute), and the plain
 * reading of a finished comparison against them. Rules from docs/design/USERS.md: DPO suits a strong SFT
 * checkpoint or little preference data (DPO with LoRA on ~5k pairs works); ORPO suits a base
 * model, one run, a tight GPU budget, or a large preference set (30k+ pairs).
 */
import { ktoPassesPerPair } from "../data/kto.js";
import type { Recipe } from "../recipe/schema.js";
import type { Scores } from "./arm-result.js";

/** Below this many pairs, the published guidance has DPO (with LoRA) working well. */
export const SMALL_PAIRS = 5_000;
/** From this many pairs, ORPO's single stage is the published suggestion. */
export const LARGE_PAIRS = 30_000;
/**
 * DPO's reference model forward costs 2N FLOPs per token on top of training's 6N, unless
 * log-probabilities are precomputed or LoRA reuses the policy (python/trellis_runtime/perf.py).
 */
const DPO_REFERENCE_FACTOR = 8 / 6;

type Lean = "orpo" | "sft-dpo" | "either";
export type Start = "base" | "instruct" | "unknown";

interface Signal {
  what: string;
  lean: Lean;
  why: string;
}

interface AdviceInput {
  /** Training pairs, when known (local files). */
  pairs: number | null;
  start: Start;
  /** Planned compute of each arm, in sequence passes (see plannedPasses). */
  arms: Array<{ name: string; passes: number | null; trainers: string[] }>;
}

export interface Advice {
  signals: Signal[];
  lean: Lean;
  summary: string;
}

/** Hub names that say "already instruction-tuned". A base model's name rarely says anything. */
const INSTRUCT_NAME = /(instruct|chat|[-_]it\b|[-_]sft\b|rlhf|dpo|orpo|zephyr|tulu|hermes)/i;

/** The starting checkpoint, guessed from the recipe's model: a tiny model is a base model. */
export function startOf(recipe: Recipe): Start {
  if (recipe.model.tiny) return "base";
  const name = recipe.model.name ?? "";
  return INSTRUCT_NAME.test(name) ? "instruct" : name ? "base" : "unknown";
}

/**
 * Sequences trained (forward and backward), summed over an arm's stages: epochs x pairs x the
 * sequences each pair gives (SFT 1, ORPO, CPO and SimPO 2, DPO 2 plus its reference forward). Null when the
 * pair count is unknown or a stage sets max_steps (its length is then not a count of epochs).
 */
export function plannedPasses(recipe: Recipe, pairs: number | null): number | null {
  if (pairs === null) return null;
  let total = 0;
  for (const s of recipe.stages) {
    if (typeof s.args.max_steps === "number" && s.args.max_steps > 0) return null;
    const epochs = typeof s.args.num_train_epochs === "number" ? s.args.num_train_epochs : 3; // TrainingArguments' default
    if (s.trainer === "kto") {
      total += epochs * pairs * ktoPassesPerPair(s.args.precompute_ref_log_probs === true);
      continue;
    }
    const perPair =
      s.trainer === "sft"
        ? 1
        : s.trainer === "orpo" || s.trainer === "cpo" || s.trainer === "simpo" // no reference model
          ? 2
          : s.peft || s.args.precompute_ref_log_probs
            ? 2
            : 2 * DPO_REFERENCE_FACTOR;
    total += epochs * pairs * perPair;
  }
  return total;
}

export function advise(input: AdviceInput): Advice {
  const signals: Signal[] = [];
  const { pairs } = input;
  if (pairs === null)
    signals.push({
      what: "data size unknown",
      lean: "either",
      why: "the training pairs are not local files: their number is not known before the run",
    });
  else if (pairs >= LARGE_PAIRS)
    signals.push({
      what: `${fmt(pairs)} pairs`,
      lean: "orpo",
      why: `a large preference set (${fmt(LARGE_PAIRS)}+): ORPO's single stage learns from all of it at once`,
    });
  else if (pairs <= SMALL_PAIRS)
    signals.push({
      what: `${fmt(pairs)} pairs`,
      lean: "sft-dpo",
      why: `little preference data (DPO with LoRA on ~${fmt(SMALL_PAIRS)} pairs works)`,
    });
  else
    signals.push({
      what: `${fmt(pairs)} pairs`,
      lean: "either",
      why: `between ~${fmt(SMALL_PAIRS)} (DPO with LoRA works) and ${fmt(LARGE_PAIRS)}+ (ORPO's home ground)`,
    });

  if (input.start === "base")
    signals.push({
      what: "a base model",
      lean: "orpo",
      why: "starting from a base model, ORPO does instruction tuning and alignment in one run; DPO needs an SFT stage first",
    });
  else if (input.start === "instruct")
    signals.push({
      what: "an instruct checkpoint",
      lean: "sft-dpo",
      why: "a strong SFT checkpoint already exists: DPO can start from it (the SFT stage could even be dropped)",
    });
  else
    signals.push({
      what: "starting checkpoint unknown",
      lean: "either",
      why: "the model's name does not say whether it is instruction-tuned",
    });

  const known = input.arms.filter((a): a is { name: string; passes: number; trainers: string[] } => a.passes !== null);
  if (known.length >= 2) {
    const cheapest = known.reduce((a, b) => (b.passes < a.passes ? b : a));
    const dearest = known.reduce((a, b) => (b.passes > a.passes ? b : a));
    const ratio = dearest.passes / cheapest.passes;
    const lean: Lean =
      ratio < 1.15
        ? "either"
        : cheapest.trainers.includes("orpo")
          ? "orpo"
          : cheapest.trainers.includes("dpo")
            ? "sft-dpo"
            : "either";
    signals.push({
      what: `planned compute ${cheapest.name} 1x, ${dearest.name} ${ratio.toFixed(2)}x`,
      lean,
      why: `sequence passes as planned (epochs x pairs x sequences per pair, DPO's reference forward included): on a tight budget the cheaper arm`,
    });
  }
  signals.push(...methodSignals(input.arms));
  const votes = { orpo: 0, "sft-dpo": 0 };
  for (const s of signals) if (s.lean !== "either") votes[s.lean] += 1;
  const lean: Lean = votes.orpo > votes["sft-dpo"] ? "orpo" : votes["sft-dpo"] > votes.orpo ? "sft-dpo" : "either";
  const summary =
    lean === "either"
      ? "the rules of thumb do not pick a side here: measure (trellis compare runs every arm)"
      : `the rules of thumb lean to ${lean === "orpo" ? "ORPO" : "SFT then DPO"} (${signals
          .filter((s) => s.lean === lean)
          .map((s) => s.what)
          .join(", ")})`;
  return { signals, lean, summary };
}

/**
 * What the arms' other methods are for, said once each (no vote: the ORPO-or-DPO rules stay the
 * rules). SimPO and CPO drop DPO's reference model (one model in memory, no reference forward);
 * KTO learns from answers marked good or bad one by one, and weighs an imbalance between them.
 */
function methodSignals(arms: AdviceInput["arms"]): Signal[] {
  const has = (t: string) => arms.some((a) => a.trainers.includes(t));
  const out: Signal[] = [];
  if (has("simpo") || has("cpo"))
    out.push({
      what: `a ${has("simpo") ? "SimPO" : "CPO"} arm`,
      lean: "either",
      why: "no reference model: one model in memory (full-parameter DPO holds two) and no reference forward; SimPO suits a tight GPU memory budget and a model already instruction-tuned",
    });
  if (has("kto"))
    out.push({
      what: "a KTO arm",
      lean: "either",
      why: "KTO suits data collected as single answers marked good or bad (thumbs up/down), or pairs with far more of one kind: it weighs desirable and undesirable answers separately",
    });
  return out;
}

interface MeasuredArm {
  name: string;
  trainers: string[];
  final: Scores | null;
  device_s: number;
}

/** Two standard errors of a difference of two accuracies on n pairs each: smaller is noise. */
export function noiseBand(p: number, n: number): number {
  return n > 0 ? 2 * Math.sqrt((2 * p * (1 - p)) / n) : 1;
}

/** What the measurement says, in sentences, set against the advice. */
export function readMeasurement(advice: Advice, baseline: Scores | null, arms: readonly MeasuredArm[]): string[] {
  const scored = arms.filter((a) => a.final?.accuracy !== null && a.final?.accuracy !== undefined);
  if (scored.length < 2)
    return ["not every arm has a held-out score: no reading of the result (see each arm's run for why)"];
  const ranked = [...scored].sort((a, b) => b.final!.accuracy! - a.final!.accuracy!);
  const best = ranked[0]!;
  const next = ranked[1]!;
  const n = best.final!.pairs;
  const gap = best.final!.accuracy! - next.final!.accuracy!;
  const band = noiseBand((best.final!.accuracy! + next.final!.accuracy!) / 2, n);
  const lines: string[] = [];
  if (baseline?.accuracy !== null && baseline?.accuracy !== undefined) {
    lines.push(
      `The starting model prefers the chosen answer on ${pct(baseline.accuracy)} of the ${n} held-out pairs (chance is 50%); ${ranked.map((a) => `${a.name} ${pct(a.final!.accuracy!)}`).join(", ")}.`,
    );
  }
  lines.push(
    gap > band
      ? `${best.name} scores higher by ${pts(gap)}, more than the ~${pts(band)} that ${n} pairs can resolve (two standard errors).`
      : `The gap (${pts(gap)}) is within the ~${pts(band)} that ${n} pairs can resolve (two standard errors): on this data the two are not told apart by accuracy.`,
  );
  // Ranking the pairs is not the whole story: DPO can win the ranking by pushing both answers
  // down (likelihood displacement), and greedy answers then degrade. The chosen NLL shows it.
  const baseNll = baseline?.chosen_nll;
  if (baseNll !== null && baseNll !== undefined) {
    for (const a of scored) {
      const nll = a.final!.chosen_nll;
      if (nll !== null && nll > baseNll)
        lines.push(
          `${a.name} finds the chosen answers less likely than the starting model did (NLL ${nll.toFixed(2)} against ${baseNll.toFixed(2)} nats a token): it ranks the pairs by pushing the rejected answers down faster than the chosen ones (likelihood displacement); read its generations before trusting its accuracy.`,
        );
    }
  }
  const cheap = [...scored].sort((a, b) => a.device_s - b.device_s);
  if (cheap[0]!.device_s > 0) {
    const ratio = cheap.at(-1)!.device_s / cheap[0]!.device_s;
    lines.push(`${cheap[0]!.name} cost the least: ${cheap.at(-1)!.name} took ${ratio.toFixed(2)}x its device-seconds.`);
  }
  const winner =
    gap > band
      ? best.trainers.includes("orpo")
        ? "orpo"
        : best.trainers.includes("dpo")
          ? "sft-dpo"
          : "either"
      : "either";
  if (advice.lean !== "either" && winner !== "either") {
    lines.push(
      winner === advice.lean
        ? `This agrees with the rules of thumb, which lean the same way for this data and model.`
        : `This goes against the rules of thumb (${advice.summary}): here the measurement is the better guide.`,
    );
  } else if (advice.lean !== "either") {
    lines.push(
      `The rules of thumb lean to ${advice.lean === "orpo" ? "ORPO" : "SFT then DPO"}; with no clear winner by accuracy, the cost and the generations decide.`,
    );
  }
  return lines;
}

const fmt = (n: number) => n.toLocaleString("en-US");
const pct = (p: number) => `${(100 * p).toFixed(1)}%`;
const pts = (d: number) => `${(100 * d).toFixed(1)} points`;
