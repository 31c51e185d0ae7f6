/**
 * The event protocol. Python stages write one JSON object per line on their own file
 * descriptor; the orchestrator validates each line here, adds a sequence number, and every sink
 * (events.jsonl, the terminal, later the websocket) consumes the same `RunEvent`s.
 */
import { z } from "zod";
import type { DiagnosisCause } from "../diagnose/diagnose.js";

/** JSON has no NaN: Python sends non-finite floats as these strings. */
export const Metric = z.union([z.number(), z.enum(["NaN", "Infinity", "-Infinity"])]);
export type Metric = z.infer<typeof Metric>;
const Metrics = z.record(z.string(), z.union([Metric, z.null()]));

const base = { time: z.number(), stage: z.string().nullable().optional() };
const step = z.number().int().nonnegative();

/**
 * What a stage is doing, in the order a stage does it: importing its libraries, loading and
 * checking data, loading the model, measuring preference accuracy, training, saving.
 */
export const PHASES = ["environment", "data", "model", "preference_eval", "training", "saving"] as const;
export type Phase = (typeof PHASES)[number];

/**
 * Training throughput over the interval since the previous metrics event (evaluation and saving
 * left out): real tokens, padding apart, examples, and the MFU estimate (null: unknown card).
 */
export const Throughput = z.object({
  tokens_per_s: z.number().nonnegative(),
  padding_per_s: z.number().nonnegative(),
  samples_per_s: z.number().nonnegative(),
  padding_fraction: z.number().min(0).max(1),
  mfu: z.number().nonnegative().nullable(),
  seconds: z.number().positive(),
});
export type Throughput = z.infer<typeof Throughput>;

/** What the MFU estimate rests on (train_begin): parameter counts, FLOPs per token, the peak. */
export const FlopsBasis = z.object({
  params: z.number().int().nonnegative(),
  trainable_params: z.number().int().nonnegative(),
  lora: z.boolean(),
  reference_forward: z.boolean(),
  flops_per_token: z.number().nonnegative().nullable(),
  device_name: z.string().nullable(),
  peak_tflops: z.number().positive().nullable(),
  world_size: z.number().int().positive(),
}).loose();

/** Events a Python stage may send. */
export const StageEvent = z.discriminatedUnion("type", [
  z.object({
    ...base,
    type: z.literal("stage_start"),
    trainer: z.string(),
    device: z.string(),
    torch_version: z.string().optional(),
    transformers_version: z.string().optional(),
    trl_version: z.string().optional(),
    cuda_available: z.boolean().optional(),
  }).loose(),
  z.object({ ...base, type: z.literal("notice"), code: z.string(), message: z.string() }),
  /** The stage entered a phase; `total` counts its work where known (pairs to evaluate). */
  z.object({ ...base, type: z.literal("phase"), phase: z.enum(PHASES), total: z.number().int().nonnegative().optional(), when: z.enum(["before", "after"]).optional() }),
  z
    .object({
      ...base,
      type: z.literal("data"),
      train_rows: z.number().int(),
      eval_rows: z.number().int().nullable(),
      columns: z.array(z.string()),
      /** The train data's shape (src/core/data/shape.ts), decided from every row. */
      shape: z.string().optional(),
      conversational: z.boolean().optional(),
      /** Pairs dropped by data.min_score_margin. */
      dropped_pairs: z.number().int().optional(),
    })
    .loose(),
  z.object({ ...base, type: z.literal("train_begin"), max_steps: step, num_train_epochs: z.number().optional(), flops: FlopsBasis.optional() }).loose(),
  z.object({ ...base, type: z.literal("metrics"), step, max_steps: step, epoch: z.number().nullable(), metrics: Metrics, throughput: Throughput.optional() }),
  z.object({ ...base, type: z.literal("eval"), step, max_steps: step.optional(), epoch: z.number().nullable().optional(), metrics: Metrics }),
  z.object({ ...base, type: z.literal("checkpoint"), step, path: z.string() }),
  z.object({ ...base, type: z.literal("train_summary"), step, metrics: Metrics }),
  z.object({ ...base, type: z.literal("preference_eval"), when: z.enum(["before", "after"]), accuracy: z.number().nullable(), pairs: z.number().int() }),
  z.object({ ...base, type: z.literal("saved"), path: z.string(), adapter: z.boolean(), merged: z.string().nullable().optional() }),
  z.object({ ...base, type: z.literal("provenance"), model: z.record(z.string(), z.unknown()), datasets: z.array(z.record(z.string(), z.unknown())), plan: z.record(z.string(), z.unknown()) }),
  /** A batch planner probe's measurement (TRELLIS_PROBE): peak reserved memory, tokens/s after step 1. */
  z.object({ ...base, type: z.literal("probe_result"), peak_bytes: z.number().nullable(), capacity_bytes: z.number().nullable(), tokens_per_s: z.number().nullable(), steps: z.number().int() }),
  /** A stop command arrived: a checkpoint is saved at this step's end, then training stops. */
  z.object({ ...base, type: z.literal("stopping"), step }),
  z.object({ ...base, type: z.literal("stopped"), step, checkpoint: z.string().nullable() }),
  z.object({
    ...base,
    type: z.literal("error"),
    exc_type: z.string(),
    message: z.string(),
    traceback: z.string().optional(),
    errno: z.number().int().optional(),
    /** Types along the exception's `raise ... from` chain: transformers wraps Hub errors in OSError. */
    cause_types: z.array(z.string()).optional(),
  }),
]);
export type StageEvent = z.infer<typeof StageEvent>;

export type RunStatus = "running" | "finished" | "failed" | "stopped";

/** One GPU in a `gpu` event; `util` is percent busy, memory in MiB as nvidia-smi reports it. */
export interface GpuSample {
  index: number;
  name: string;
  util: number;
  mem_used_mb: number;
  mem_total_mb: number;
  power_w?: number;
  temp_c?: number;
}

/** Events the orchestrator adds around the stages. */
export type OrchestratorEvent =
  | { type: "run_start"; time: number; stage?: null; run_id: string; recipe: string; run_dir: string; stages: Array<{ id: string; trainer: string }>; trellis_version: string }
  | { type: "environment"; time: number; stage?: null; python: string; venv: string; installed: boolean }
  | { type: "notice"; time: number; stage?: string | null; code: string; message: string }
  | { type: "stage_end"; time: number; stage: string; status: "finished" | "failed" | "stopped"; exit_code: number | null; signal: string | null; reason?: string }
  | { type: "invalid_event"; time: number; stage: string; line: number; error: string; text: string }
  /** `trellis resume` continues the run in the same events.jsonl from here. */
  | { type: "run_resumed"; time: number; stage: string; checkpoint: string | null }
  /** Why a stage failed, decided from facts (exception type, errno, signal), and what to change. */
  | { type: "diagnosis"; time: number; stage: string; cause: DiagnosisCause; summary: string; fix: string }
  /** GPU utilisation sampled from nvidia-smi every few seconds while stages run. */
  | { type: "gpu"; time: number; stage?: string | null; gpus: GpuSample[] }
  /** One line the trainer printed (its full output also goes to the stage's log files). */
  | { type: "output"; time: number; stage: string; stream: "stdout" | "stderr"; line: string }
  | {
      type: "run_end";
      time: number;
      stage?: null;
      status: Exclude<RunStatus, "running">;
      reason?: string;
      preference?: { before: number | null; after: number | null };
    };

/** An event as stored in events.jsonl and broadcast: numbered in the order it was recorded. */
export type RunEvent = (StageEvent | OrchestratorEvent) & { seq: number };

export type Decoded = { ok: true; event: StageEvent } | { ok: false; error: string };

/** Parses and validates one line from a stage, with a one-line reason when it is not an event. */
export function decodeStageEvent(line: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: "not JSON" };
  }
  const parsed = StageEvent.safeParse(value);
  if (parsed.success) return { ok: true, event: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, error: `${issue.path.join(".") || "event"}: ${issue.message}` };
}

/** A metric value as a number (NaN and infinities included). */
export function metricValue(m: Metric | null | undefined): number | undefined {
  if (m === null || m === undefined) return undefined;
  if (typeof m === "number") return m;
  return m === "NaN" ? NaN : m === "Infinity" ? Infinity : -Infinity;
}
