/**
 * Thresholds of the health rules, each with the reason for its value (see docs/design/DASHBOARD.md §6).
 * Windows count logs, not steps: TRL averages metrics over `logging_steps`.
 */

/** Ignore the first optimizer steps: the first logs average warm-up noise (rlwatch `warmup_steps`). */
const WARMUP_STEPS = 20;
/** ...and at least this many logs, whichever comes later (docs/design/DASHBOARD.md §6.2). */
const WARMUP_LOGS = 3;
/** Stuck accuracy counts only from here: ~10 logs at TRL's default logging_steps=10 (rule D2). */
const STUCK_ACCURACY_AFTER_STEPS = 100;
/** "Near 0.5": D2 calls accuracies <= 0.55 not learning; the band is symmetric. */
const STUCK_ACCURACY_BAND = 0.05;
/** Accuracy is judged on a rolling mean of this many logs: one batch of 8 pairs swings 0..1 (D2, D4). */
const ACCURACY_WINDOW_LOGS = 10;
/** "The first steps" of the collapse rule: a real run cannot separate every pair this early (D6). */
const COLLAPSE_WITHIN_STEPS = 20;
/** Loss this close to 0 so early means the task is trivial, not learned (D6 uses 0.10). */
const COLLAPSE_LOSS_BELOW = 0.1;
/** ...together with (almost) perfect accuracy (D6 uses 0.98). */
const COLLAPSE_ACCURACY_AT_LEAST = 0.98;
/** Loss exactly 0 for this many consecutive logs is fp16 NaN gradients in disguise (rule N2). */
const ZERO_LOSS_LOGS = 2;
/** grad_norm baseline: this many logs right after warm-up, then frozen (rlwatch; D8). */
const GRAD_BASELINE_LOGS = 10;
/** A spike is this many standard deviations above the frozen baseline (rlwatch z-score, D8). */
const GRAD_SPIKE_SIGMAS = 3;
/** ...and this many times its mean: noisy logs of small batches swing 3-4x harmlessly. */
const GRAD_SPIKE_MIN_RATIO = 5;
/** A jump this many times the baseline mean is an explosion, not noise: an error. */
const GRAD_EXPLOSION_RATIO = 10;
/** Reward trends are fitted over this many logs (D9 uses the last 20 % of logs). */
const REWARD_TREND_LOGS = 20;
/** Both rewards count as falling when the fitted drop over the window exceeds this (in reward units). */
const REWARDS_FALLING_MIN_DROP = 0.02;
/** A trend counts only when its slope is this many standard errors from 0 (~95 %): logs are noisy. */
const TREND_MIN_T = 2;
/** GPU memory at or above this fraction risks OOM (nvitop calls 80 % heavy; 95 % is trellis's, G2). */
const GPU_MEMORY_WARN_FRACTION = 0.95;
/** After firing, a rule stays quiet this many logs in that stage: one alert per problem, not per wiggle. */
const COOLDOWN_LOGS = 50;

export interface HealthOptions {
  warmupSteps: number;
  warmupLogs: number;
  stuckAccuracyAfterSteps: number;
  stuckAccuracyBand: number;
  accuracyWindowLogs: number;
  collapseWithinSteps: number;
  collapseLossBelow: number;
  collapseAccuracyAtLeast: number;
  zeroLossLogs: number;
  gradBaselineLogs: number;
  gradSpikeSigmas: number;
  gradSpikeMinRatio: number;
  gradExplosionRatio: number;
  rewardTrendLogs: number;
  rewardsFallingMinDrop: number;
  /** Warn on falling rewards even while margins still grow (DPO's usual displacement). */
  rewardsFallingEvenIfMarginsRise: boolean;
  trendMinT: number;
  gpuMemoryWarnFraction: number;
  cooldownLogs: number;
}

export const DEFAULT_HEALTH_OPTIONS: Readonly<HealthOptions> = Object.freeze({
  warmupSteps: WARMUP_STEPS,
  warmupLogs: WARMUP_LOGS,
  stuckAccuracyAfterSteps: STUCK_ACCURACY_AFTER_STEPS,
  stuckAccuracyBand: STUCK_ACCURACY_BAND,
  accuracyWindowLogs: ACCURACY_WINDOW_LOGS,
  collapseWithinSteps: COLLAPSE_WITHIN_STEPS,
  collapseLossBelow: COLLAPSE_LOSS_BELOW,
  collapseAccuracyAtLeast: COLLAPSE_ACCURACY_AT_LEAST,
  zeroLossLogs: ZERO_LOSS_LOGS,
  gradBaselineLogs: GRAD_BASELINE_LOGS,
  gradSpikeSigmas: GRAD_SPIKE_SIGMAS,
  gradSpikeMinRatio: GRAD_SPIKE_MIN_RATIO,
  gradExplosionRatio: GRAD_EXPLOSION_RATIO,
  rewardTrendLogs: REWARD_TREND_LOGS,
  rewardsFallingMinDrop: REWARDS_FALLING_MIN_DROP,
  rewardsFallingEvenIfMarginsRise: false,
  trendMinT: TREND_MIN_T,
  gpuMemoryWarnFraction: GPU_MEMORY_WARN_FRACTION,
  cooldownLogs: COOLDOWN_LOGS,
});

export function healthOptions(overrides: Partial<HealthOptions> = {}): HealthOptions {
  return { ...DEFAULT_HEALTH_OPTIONS, ...overrides };
}
