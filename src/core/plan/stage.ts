/**
 * From a recipe stage to the planner's input, and from a plan back to TRL arguments; and the
 * printed probe table.
 */
import type { Stage } from "../recipe/schema.js";
import { describe, gib, type BatchConfig, type Plan, type ProbeRow } from "./search.js";

/** TRL's defaults (TrainingArguments) when the recipe leaves the batch fields out. */
const TRL_MICRO_BATCH = 8;
const TRL_ACCUMULATION = 1;

export function recipeBatch(stage: Stage): { microBatch: number; accumulation: number; perProcessBatch: number } {
  const microBatch = positiveInt(stage.args.per_device_train_batch_size, TRL_MICRO_BATCH);
  const accumulation = positiveInt(stage.args.gradient_accumulation_steps, TRL_ACCUMULATION);
  return { microBatch, accumulation, perProcessBatch: microBatch * accumulation };
}

function positiveInt(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isInteger(v) && v > 0 ? v : fallback;
}

/** DPO and KTO can precompute reference log-probs, except where TRL refuses it (sync_ref_model). */
export function canPrecomputeRef(stage: Stage): boolean {
  return (stage.trainer === "dpo" || stage.trainer === "kto") && !stage.peft && stage.args.sync_ref_model !== true;
}

/**
 * How a preference stage pays for its reference model, and why: a LoRA stage's reference is the
 * policy with its adapter disabled (TRL does this whenever peft is on and no ref_model is given:
 * one copy of the weights, one extra forward per step); a full fine-tuning stage's is a frozen
 * copy, run every step, or run once before training (precompute_ref_log_probs) when the planner
 * found that only that fits. Null for trainers without a reference (ORPO, SFT).
 */
export function referenceChoice(stage: Stage, c: Pick<BatchConfig, "precomputeRef">): string | null {
  if (stage.trainer !== "dpo") return null;
  if (stage.peft) return "reference: the policy with its LoRA adapter disabled (no second copy of the weights)";
  if (c.precomputeRef)
    return "reference: log-probs precomputed once before training (the frozen copy's forward pass every step did not fit)";
  if (!canPrecomputeRef(stage)) return "reference: a frozen copy, run every step (sync_ref_model updates it)";
  return "reference: a frozen copy, run every step (it fits; precomputing would add a pass over the data first)";
}

/** The TRL arguments a plan sets; the recipe's others stay as written. */
export function planArgs(c: BatchConfig, trainer: string): Record<string, unknown> {
  return {
    per_device_train_batch_size: c.microBatch,
    gradient_accumulation_steps: c.accumulation,
    gradient_checkpointing: c.gradientCheckpointing,
    ...(trainer === "dpo" || trainer === "kto" ? { precompute_ref_log_probs: c.precomputeRef } : {}),
  };
}

export function formatPlan(stageId: string, plan: Plan, cached: boolean): string {
  const c = plan.chosen;
  const lines = [
    `${stageId}: ${describe(c)}  (effective batch ${plan.effectiveBatch} over ${plan.worldSize} process${plan.worldSize > 1 ? "es" : ""}; ${Math.round(c.tokensPerSec).toLocaleString("en-US")} tokens/s, peak ${gib(c.peakBytes)} of ${gib(plan.capacityBytes)})${cached ? " [cached plan]" : ""}`,
    ...formatProbes(plan.probes),
  ];
  return `${lines.join("\n")}\n`;
}

function formatProbes(rows: ProbeRow[]): string[] {
  const head = "  micro x accum  ckpt  precomp  estimate    peak        tokens/s  outcome";
  return [
    head,
    ...rows.map((r) =>
      [
        `  ${`${r.microBatch} x ${r.accumulation}`.padEnd(13)}`,
        (r.gradientCheckpointing ? "on" : "off").padEnd(4),
        (r.precomputeRef ? "yes" : "no").padEnd(7),
        gib(r.estimateBytes).padStart(10),
        (r.peakBytes !== null ? gib(r.peakBytes) : "-").padStart(10),
        (r.tokensPerSec !== null ? Math.round(r.tokensPerSec).toLocaleString("en-US") : "-").padStart(10),
        ` ${r.outcome.replace("_", " ")}`,
      ].join("  "),
    ),
  ];
}
