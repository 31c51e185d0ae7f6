/**
 * An analytic estimate of a training step's peak GPU memory. It orders the planner's probes
 * and prunes sizes far out of reach; it never accepts a size (a measured probe does). Sources:
 * HF "model memory anatomy", Korthikanti et al. 2022 Table 2 (docs/design/PLANNER.md §1.6).
 */
import type { Trainer } from "../recipe/schema.js";
import { usesReference } from "../trl/presets.js";

export interface ModelShape {
  /** All parameters of the model to train (the base model's, for LoRA). */
  params: number;
  layers: number;
  hidden: number;
  vocab: number;
}

export interface MemoryInput {
  model: ModelShape;
  /** Bytes per weight of the loaded model: 2 for bfloat16/float16, 4 for float32. */
  weightBytes: number;
  /** Trainable parameters: equal to params for full fine-tuning, the adapter's for LoRA. */
  trainable: number;
  optimizer: string;
  trainer: Trainer;
  lora: boolean;
  /** Tokens in the longest sequence of the worst-case batch (prompt + completion). */
  seqLen: number;
  microBatch: number;
  gradientCheckpointing: boolean;
  precomputeRef: boolean;
}

/**
 * Bytes of activations kept per layer, per token, per hidden unit, with 16-bit activations and
 * SDPA/flash attention (no stored s² scores): the 34 of Korthikanti et al.'s 34sbh.
 */
const ACTIVATION_BYTES_PER_LAYER = 34;
/** With checkpointing only the layer inputs stay (2sbh), plus one layer recomputed at a time. */
const CHECKPOINT_BYTES_PER_LAYER = 2;
/**
 * Logits bytes per row and position per vocabulary entry: bf16 logits (2), their fp32 upcast
 * for log-softmax (4) and its gradient (2). Often the largest single activation (TRL's docs).
 */
const LOGITS_BYTES = 8;

/** Optimizer state bytes per trainable parameter (AdamW keeps two moments in the param dtype). */
function optimizerBytes(optimizer: string, weightBytes: number): number {
  if (/8bit/.test(optimizer)) return 2;
  if (/^sgd|adafactor/.test(optimizer)) return weightBytes;
  return 2 * weightBytes;
}

/**
 * Rows in the forward pass: DPO, ORPO and CPO/SimPO concatenate chosen and rejected on the batch
 * axis. KTO's rows are single examples; its KL pass over as many rows runs without gradients (nothing kept).
 */
function rowsPerMicroBatch(trainer: MemoryInput["trainer"], microBatch: number): number {
  return trainer === "sft" || trainer === "kto" ? microBatch : 2 * microBatch;
}

export interface MemoryEstimate {
  weights: number;
  gradients: number;
  optimizer: number;
  reference: number;
  activations: number;
  logits: number;
  total: number;
}

export function estimateMemory(i: MemoryInput): MemoryEstimate {
  const { model } = i;
  const rows = rowsPerMicroBatch(i.trainer, i.microBatch);
  const tokens = rows * i.seqLen;
  const weights = model.params * i.weightBytes + (i.lora ? i.trainable * i.weightBytes : 0);
  const gradients = i.trainable * i.weightBytes;
  const optimizer = i.trainable * optimizerBytes(i.optimizer, i.weightBytes);
  // DPO and KTO without LoRA hold a second copy as reference, unless its log-probs were precomputed;
  // ORPO, CPO and SimPO have no reference model.
  const reference = usesReference(i.trainer) && !i.lora && !i.precomputeRef ? model.params * i.weightBytes : 0;
  const perLayer = tokens * model.hidden;
  const activations = i.gradientCheckpointing
    ? perLayer * (CHECKPOINT_BYTES_PER_LAYER * model.layers + ACTIVATION_BYTES_PER_LAYER)
    : perLayer * ACTIVATION_BYTES_PER_LAYER * model.layers;
  const logits = tokens * model.vocab * LOGITS_BYTES;
  return {
    weights,
    gradients,
    optimizer,
    reference,
    activations,
    logits,
    total: weights + gradients + optimizer + reference + activations + logits,
  };
}
