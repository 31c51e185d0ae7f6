/**
 * The batch planner's search, pure: which micro-batch, accumulation, checkpointing (and, for
 * DPO, precomputed reference log-probs) to run with, given a probe that measures one
 * configuration. The effective batch never changes: micro-batch x accumulation x processes is
 * the recipe's, so the candidates are the divisors of the per-process batch. When none fits,
 * the planner refuses; it never shrinks the batch.
 */
import type { MemoryEstimate } from "./memory.js";
import { TrellisError } from "../errors.js";

export interface BatchConfig {
  microBatch: number;
  accumulation: number;
  gradientCheckpointing: boolean;
  precomputeRef: boolean;
}

export type ProbeOutcome =
  | { kind: "ok"; tokensPerSec: number; peakBytes: number[]; capacityBytes: number }
  | { kind: "oom"; message: string }
  /** Anything else (a bug, bad data): the plan stops, it does not treat it as "too big". */
  | { kind: "error"; message: string };

type Probe = (c: BatchConfig) => Promise<ProbeOutcome>;

export interface PlanInput {
  /** The recipe's per-process batch: per_device_train_batch_size x gradient_accumulation_steps. */
  perProcessBatch: number;
  worldSize: number;
  /** DPO may precompute the reference log-probs to free memory. */
  canPrecomputeRef: boolean;
  capacityBytes: number;
  /** Accept a size only when its peak stays this fraction under capacity, on every rank. */
  margin: number;
  estimate: (c: BatchConfig) => MemoryEstimate;
}

/** Skip a size whose estimate exceeds capacity by more than this: the estimate is rough. */
const ESTIMATE_SLACK = 1.5;
export const DEFAULT_MARGIN = 0.1;

export type ProbeRow = BatchConfig & {
  estimateBytes: number;
  outcome: "accepted" | "over_margin" | "oom" | "error" | "skipped_estimate";
  tokensPerSec: number | null;
  peakBytes: number | null;
  message?: string;
};

export interface Plan {
  chosen: BatchConfig & { tokensPerSec: number; peakBytes: number };
  effectiveBatch: number;
  worldSize: number;
  capacityBytes: number;
  margin: number;
  probes: ProbeRow[];
}

export class PlanRefused extends TrellisError {
  override readonly exitCode = 2;
  constructor(
    message: string,
    readonly probes: ProbeRow[],
  ) {
    super(message);
  }
}

export class ProbeFailed extends TrellisError {
  override readonly exitCode = 1;
  constructor(
    message: string,
    readonly probes: ProbeRow[],
  ) {
    super(message);
  }
}

/** Micro-batch sizes that keep the per-process batch exactly, smallest first. */
export function divisors(n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`per-process batch must be a positive integer, not ${n}`);
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}

/** The per-process batch for an effective batch over `worldSize` processes, or a refusal. */
export function perProcessBatch(effective: number, worldSize: number): number {
  if (!Number.isInteger(effective / worldSize)) {
    throw new PlanRefused(`the effective batch ${effective} does not split evenly over ${worldSize} processes`, []);
  }
  return effective / worldSize;
}

/** Modes in the order they are tried: without checkpointing first; precompute only for DPO. */
function modes(canPrecompute: boolean): Array<Pick<BatchConfig, "gradientCheckpointing" | "precomputeRef">> {
  const out = [{ gradientCheckpointing: false, precomputeRef: false }];
  if (canPrecompute) out.push({ gradientCheckpointing: false, precomputeRef: true });
  out.push({ gradientCheckpointing: true, precomputeRef: false });
  if (canPrecompute) out.push({ gradientCheckpointing: true, precomputeRef: true });
  return out;
}

/**
 * Per mode, from the largest micro-batch down: the first size accepted is that mode's best (a
 * smaller one in the same mode only runs slower). A later, costlier mode is only tried on sizes
 * larger than every size accepted so far: that is the only way it can be faster. The pick is the
 * accepted configuration with the highest measured tokens/s.
 */
export async function searchPlan(input: PlanInput, probe: Probe): Promise<Plan> {
  const sizes = divisors(input.perProcessBatch).reverse();
  const rows: ProbeRow[] = [];
  const accepted: Array<Plan["chosen"]> = [];
  let largest = 0;
  for (const mode of modes(input.canPrecomputeRef)) {
    if (largest === input.perProcessBatch) break;
    for (const microBatch of sizes.filter((s) => s > largest)) {
      const config: BatchConfig = { microBatch, accumulation: input.perProcessBatch / microBatch, ...mode };
      const estimateBytes = input.estimate(config).total;
      const row: ProbeRow = {
        ...config,
        estimateBytes,
        outcome: "skipped_estimate",
        tokensPerSec: null,
        peakBytes: null,
      };
      rows.push(row);
      if (estimateBytes > input.capacityBytes * ESTIMATE_SLACK) continue;
      const result = await probe(config);
      if (result.kind === "error") {
        row.outcome = "error";
        row.message = result.message;
        throw new ProbeFailed(
          `a probe failed for a reason other than memory (${describe(config)}): ${result.message}`,
          rows,
        );
      }
      if (result.kind === "oom") {
        row.outcome = "oom";
        row.message = result.message;
        continue;
      }
      const peak = Math.max(...result.peakBytes);
      row.peakBytes = peak;
      row.tokensPerSec = result.tokensPerSec;
      const capacity = Math.min(result.capacityBytes, input.capacityBytes);
      if (peak > capacity * (1 - input.margin)) {
        row.outcome = "over_margin";
        continue;
      }
      row.outcome = "accepted";
      accepted.push({ ...config, tokensPerSec: result.tokensPerSec, peakBytes: peak });
      largest = Math.max(largest, microBatch);
      break;
    }
  }
  const chosen = accepted.reduce<Plan["chosen"] | null>(
    (best, c) => (!best || c.tokensPerSec > best.tokensPerSec ? c : best),
    null,
  );
  if (!chosen) {
    throw new PlanRefused(
      `no micro-batch that keeps the effective batch of ${input.perProcessBatch * input.worldSize} fits in ${gib(input.capacityBytes)} with a ${Math.round(input.margin * 100)}% margin, even at 1 with gradient checkpointing${input.canPrecomputeRef ? " and precomputed reference log-probs" : ""}; trellis does not shrink the batch: lower it in the recipe, shorten max_length, use LoRA, or add GPUs`,
      rows,
    );
  }
  return {
    chosen,
    effectiveBatch: input.perProcessBatch * input.worldSize,
    worldSize: input.worldSize,
    capacityBytes: input.capacityBytes,
    margin: input.margin,
    probes: rows,
  };
}

export function describe(c: BatchConfig): string {
  return `micro-batch ${c.microBatch} x ${c.accumulation}, checkpointing ${c.gradientCheckpointing ? "on" : "off"}${c.precomputeRef ? ", precomputed reference" : ""}`;
}

export const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
