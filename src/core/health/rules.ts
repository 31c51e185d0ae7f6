/**
 * The training-health rules on logged metrics, one row each (docs/design/DASHBOARD.md §6.3): what they look
 * at and what they say. Each sees one log plus the stage's windows, already updated with it.
 */
import { isPreference, type AlertId, type Severity } from "./alert.js";
import type { HealthOptions } from "./options.js";
import { fittedChange, mean, num, trendT } from "./window.js";

export interface StageWindows {
  /** Logs seen in this stage, this one included. */
  logs: number;
  zeroLossRun: number;
  accuracy: number[];
  chosen: number[];
  rejected: number[];
  margins: number[];
  /** grad_norm values after warm-up until the baseline freezes. */
  gradSamples: number[];
  gradBaseline: { mean: number; sd: number } | null;
}

interface RuleInput {
  trainer: string | undefined;
  step: number;
  metrics: Readonly<Record<string, number>>;
  w: StageWindows;
  o: HealthOptions;
  /** Past the warm-up (steps and logs). */
  warm: boolean;
}

export interface Finding {
  severity: Severity;
  message: string;
}

interface MetricRule {
  id: AlertId;
  applies: (trainer: string | undefined) => boolean;
  check: (input: RuleInput) => Finding | null;
}

/** Metrics that must stay finite (N1, O1): the loss and everything it is built from. */
const WATCHED = /^(loss|nll_loss|grad_norm|(rewards|logps|logits)\/.+|log_odds_.+)$/;

const always = () => true;
const preference = isPreference;

export const METRIC_RULES: readonly MetricRule[] = [
  {
    id: "nonfinite",
    applies: always,
    check: ({ metrics, step }) => {
      const bad: Array<[string, number]> = [];
      for (const k in metrics) if (!Number.isFinite(metrics[k]) && WATCHED.test(k)) bad.push([k, metrics[k]!]);
      if (bad.length === 0) return null;
      const [name, value] = bad[0]!;
      const more = bad.length > 1 ? ` (+${bad.length - 1} more)` : "";
      return {
        severity: "error",
        message: `${name} is ${value}${more} at step ${step}: stop the run; use bf16 or fp32 instead of fp16, lower the learning rate, check the data`,
      };
    },
  },
  {
    id: "zero-loss",
    applies: always,
    check: ({ w, o, step }) =>
      w.zeroLossRun >= o.zeroLossLogs
        ? {
            severity: "error",
            message: `loss is exactly 0 for ${w.zeroLossRun} logs (step ${step}): likely NaN gradients in fp16; use bf16 or fp32 and check the data`,
          }
        : null,
  },
  {
    id: "early-collapse",
    applies: always,
    check: ({ trainer, metrics, step, o }) => {
      const loss = metrics.loss;
      const pref = preference(trainer);
      const acc = pref ? metrics["rewards/accuracies"] : metrics.mean_token_accuracy;
      if (step > o.collapseWithinSteps || loss === undefined || acc === undefined) return null;
      if (!(loss >= 0 && loss < o.collapseLossBelow && acc >= o.collapseAccuracyAtLeast)) return null;
      return pref
        ? {
            severity: "error",
            message: `loss ${num(loss)} with accuracy ${acc.toFixed(2)} at step ${step}: pairs are trivially separable; check the chat template and that chosen and rejected differ`,
          }
        : {
            severity: "error",
            message: `loss ${num(loss)} with token accuracy ${acc.toFixed(2)} at step ${step}: answers may leak into the prompt; check the chat template and completion masking`,
          };
    },
  },
  {
    id: "accuracy-stuck",
    applies: preference,
    check: ({ w, o, step }) => {
      if (step < o.stuckAccuracyAfterSteps || w.accuracy.length < o.accuracyWindowLogs) return null;
      const m = mean(w.accuracy);
      if (Math.abs(m - 0.5) > o.stuckAccuracyBand) return null;
      return {
        severity: "warn",
        message: `rewards/accuracies stuck at ${m.toFixed(2)} over ${w.accuracy.length} logs (step ${step}): not learning; raise the learning rate or beta, check that chosen and rejected differ`,
      };
    },
  },
  {
    id: "accuracy-below-chance",
    applies: preference,
    check: ({ w, o, step, warm }) => {
      if (!warm || w.accuracy.length < o.accuracyWindowLogs) return null;
      const m = mean(w.accuracy);
      if (m >= 0.5 - o.stuckAccuracyBand) return null;
      return {
        severity: "warn",
        message: `rewards/accuracies ${m.toFixed(2)} is below chance over ${w.accuracy.length} logs (step ${step}): chosen and rejected may be swapped; check the pair columns`,
      };
    },
  },
  {
    id: "grad-spike",
    applies: always,
    check: ({ metrics, w, o, step }) => {
      const g = metrics.grad_norm;
      const base = w.gradBaseline;
      if (g === undefined || !Number.isFinite(g) || !base || base.mean <= 0) return null;
      const ratio = g / base.mean;
      if (g <= base.mean + o.gradSpikeSigmas * base.sd || ratio < o.gradSpikeMinRatio) return null;
      return {
        severity: ratio >= o.gradExplosionRatio ? "error" : "warn",
        message: `grad_norm ${num(g)} at step ${step} is ${ratio.toFixed(1)}x its baseline ${num(base.mean)}: lower the learning rate or max_grad_norm; roll back to a checkpoint if the loss jumps`,
      };
    },
  },
  {
    id: "rewards-falling",
    applies: preference,
    check: ({ trainer, w, o, step, warm }) => {
      if (!warm || w.chosen.length < o.rewardTrendLogs || w.rejected.length < o.rewardTrendLogs) return null;
      const falling = (v: number[]) => fittedChange(v) <= -o.rewardsFallingMinDrop && trendT(v) <= -o.trendMinT;
      if (!falling(w.chosen) || !falling(w.rejected)) return null;
      const c = num(w.chosen.at(-1)!);
      const r = num(w.rejected.at(-1)!);
      const n = w.chosen.length;
      if (trainer === "orpo" || trainer === "cpo") {
        return {
          severity: "warn",
          message: `rewards/chosen ${c} and rewards/rejected ${r} both falling over ${n} logs (step ${step}): likelihood of both answers drops; lower beta or the learning rate`,
        };
      }
      if (trainer === "kto") {
        // KTO's rewards are means over different examples (desirable, undesirable), not pairs: no
        // margin to weigh the fall against, and no SFT term to add; desirable_weight pulls the good ones up.
        return {
          severity: "warn",
          message: `rewards/chosen ${c} (desirable) and rewards/rejected ${r} (undesirable) both falling over ${n} logs (step ${step}): the good answers lose likelihood too; lower the learning rate or raise desirable_weight`,
        };
      }
      // SimPO's rewards are beta times the per-token log-probs, with no NLL term to hold them up.
      if (trainer === "simpo") {
        return {
          severity: "warn",
          message: `rewards/chosen ${c} and rewards/rejected ${r} both falling over ${n} logs (step ${step}): SimPO lowers the likelihood of both answers; lower the learning rate, or add CPO's NLL term (cpo_alpha 0.1 to 1: CPO-SimPO)`,
        };
      }
      const rising = w.margins.length >= 3 && trendT(w.margins) >= o.trendMinT;
      if (rising && !o.rewardsFallingEvenIfMarginsRise) return null;
      const why = rising ? "usual DPO displacement while margins rise" : "while margins stall";
      return {
        severity: "warn",
        message: `rewards/chosen ${c} and rewards/rejected ${r} both falling over ${n} logs, ${why} (step ${step}): lower the learning rate or add an SFT term (loss_type [sigmoid, sft])`,
      };
    },
  },
];
