/**
 * The event protocol. Python stages write one JSON object per line on their own file
 * descriptor; the orchestrator validates each line here, adds a sequence number, and every sink
 * (events.jsonl, the terminal, later the websocket) consumes the same `RunEvent`s.
 */
import { z } from "zod";
import { DIAGNOSIS_CAUSES } from "../diagnose/facts.js";

/**
 * JSON has no NaN: Python sends non-finite floats as these strings, and events.jsonl and the
 * websocket carry them so. They are decoded into numbers where events are read (this schema)
 * and encoded back only where events are written (encodeEvent): inside, a metric is a number.
 */
const NON_FINITE = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity } as const;
type NonFinite = keyof typeof NON_FINITE;
export const Metric = z.union([
  z.number(),
  z.enum(Object.keys(NON_FINITE) as [NonFinite, ...NonFinite[]]).transform((text) => NON_FINITE[text]),
]);
/** A metric's value, NaN and the infinities included. */
export type Metric = number;
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
const FlopsBasis = z
  .object({
    params: z.number().int().nonnegative(),
    trainable_params: z.number().int().nonnegative(),
    lora: z.boolean(),
    reference_forward: z.boolean(),
    flops_per_token: z.number().nonnegative().nullable(),
    device_name: z.string().nullable(),
    peak_tflops: z.number().positive().nullable(),
    world_size: z.number().int().positive(),
  })
  .loose();

/**
 * What a stage has cost so far (python/trellis_runtime/usage.py): wall seconds since the process
 * started, CPU-seconds, device-seconds (GPU-seconds on GPUs, CPU-seconds on a CPU, times the
 * processes) and tokens trained. `trellis compare` plots arms against device-seconds and tokens.
 */
export const Usage = z.object({
  wall_s: z.number().nonnegative(),
  cpu_s: z.number().nonnegative(),
  device: z.enum(["cpu", "gpu"]),
  devices: z.number().int().positive(),
  device_s: z.number().nonnegative(),
  tokens: z.number().nonnegative(),
});
export type Usage = z.infer<typeof Usage>;

/** One prompt and the model's greedy answer to it (`generations` events). */
export const Sample = z.object({ prompt: z.string(), answer: z.string() });
export type Sample = z.infer<typeof Sample>;

/** Events a Python stage may send. */
export const StageEvent = z.discriminatedUnion("type", [
  z
    .object({
      ...base,
      type: z.literal("stage_start"),
      trainer: z.string(),
      device: z.string(),
      torch_version: z.string().optional(),
      transformers_version: z.string().optional(),
      trl_version: z.string().optional(),
      cuda_available: z.boolean().optional(),
    })
    .loose(),
  z.object({ ...base, type: z.literal("notice"), code: z.string(), message: z.string() }),
  /** The stage entered a phase; `total` counts its work where known (pairs to evaluate). */
  z.object({
    ...base,
    type: z.literal("phase"),
    phase: z.enum(PHASES),
    total: z.number().int().nonnegative().optional(),
    when: z.enum(["before", "after"]).optional(),
  }),
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
  z
    .object({
      ...base,
      type: z.literal("train_begin"),
      max_steps: step,
      num_train_epochs: z.number().optional(),
      flops: FlopsBasis.optional(),
    })
    .loose(),
  z.object({
    ...base,
    type: z.literal("metrics"),
    step,
    max_steps: step,
    epoch: z.number().nullable(),
    metrics: Metrics,
    throughput: Throughput.optional(),
    usage: Usage.optional(),
  }),
  z.object({
    ...base,
    type: z.literal("eval"),
    step,
    max_steps: step.optional(),
    epoch: z.number().nullable().optional(),
    metrics: Metrics,
  }),
  z.object({ ...base, type: z.literal("checkpoint"), step, path: z.string() }),
  z.object({ ...base, type: z.literal("train_summary"), step, metrics: Metrics }),
  z.object({
    ...base,
    type: z.literal("preference_eval"),
    when: z.enum(["before", "after"]),
    accuracy: z.number().nullable(),
    pairs: z.number().int(),
    /** The same scoring on summed log-probabilities, the mean margins, the chosen answers' NLL per token. */
    accuracy_sum: z.number().nullable().optional(),
    margin: z.number().nullable().optional(),
    margin_sum: z.number().nullable().optional(),
    chosen_nll: z.number().nullable().optional(),
  }),
  /** Greedy answers to the recipe's prompts: before training (baseline), every N steps, at the end. */
  z.object({
    ...base,
    type: z.literal("generations"),
    when: z.enum(["before", "step", "after"]),
    step,
    samples: z.array(Sample),
  }),
  /** The stage's cost at the end of training. */
  z.object({ ...base, type: z.literal("usage"), step, ...Usage.shape }),
  z.object({
    ...base,
    type: z.literal("saved"),
    path: z.string(),
    adapter: z.boolean(),
    merged: z.string().nullable().optional(),
  }),
  z.object({
    ...base,
    type: z.literal("provenance"),
    model: z.record(z.string(), z.unknown()),
    datasets: z.array(z.record(z.string(), z.unknown())),
    plan: z.record(z.string(), z.unknown()),
  }),
  /** A batch planner probe's measurement (TRELLIS_PROBE): peak reserved memory, tokens/s after step 1. */
  z.object({
    ...base,
    type: z.literal("probe_result"),
    peak_bytes: z.number().nullable(),
    capacity_bytes: z.number().nullable(),
    tokens_per_s: z.number().nullable(),
    steps: z.number().int(),
  }),
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
export const GpuSample = z.object({
  index: z.number().int(),
  name: z.string(),
  util: z.number(),
  mem_used_mb: z.number(),
  mem_total_mb: z.number(),
  power_w: z.number().optional(),
  temp_c: z.number().optional(),
});
export type GpuSample = z.infer<typeof GpuSample>;

const runStage = { time: z.number(), stage: z.null().optional() };
const ofStage = { time: z.number(), stage: z.string() };

/** Events the orchestrator adds around the stages (a `notice` is the stages' own kind). */
export const OrchestratorEvent = z.discriminatedUnion("type", [
  z.object({
    ...runStage,
    type: z.literal("run_start"),
    run_id: z.string(),
    recipe: z.string(),
    run_dir: z.string(),
    stages: z.array(z.object({ id: z.string(), trainer: z.string() })),
    trellis_version: z.string(),
  }),
  z.object({
    ...runStage,
    type: z.literal("environment"),
    python: z.string(),
    venv: z.string(),
    installed: z.boolean(),
  }),
  z.object({
    ...ofStage,
    type: z.literal("stage_end"),
    status: z.enum(["finished", "failed", "stopped"]),
    exit_code: z.number().int().nullable(),
    signal: z.string().nullable(),
    reason: z.string().optional(),
  }),
  /** A line from a stage that is not a valid event: kept, with the reason, never dropped. */
  z.object({
    ...ofStage,
    type: z.literal("invalid_event"),
    line: z.number().int(),
    error: z.string(),
    text: z.string(),
  }),
  /** `trellis resume` continues the run in the same events.jsonl from here. */
  z.object({ ...ofStage, type: z.literal("run_resumed"), checkpoint: z.string().nullable() }),
  /** Why a stage failed, decided from facts (exception type, errno, signal), and what to change. */
  z.object({
    ...ofStage,
    type: z.literal("diagnosis"),
    cause: z.enum(DIAGNOSIS_CAUSES),
    summary: z.string(),
    fix: z.string(),
  }),
  /** GPU utilisation sampled from nvidia-smi every few seconds while stages run. */
  z.object({
    time: z.number(),
    stage: z.string().nullable().optional(),
    type: z.literal("gpu"),
    gpus: z.array(GpuSample),
  }),
  /** One line the trainer printed (its full output also goes to the stage's log files). */
  z.object({ ...ofStage, type: z.literal("output"), stream: z.enum(["stdout", "stderr"]), line: z.string() }),
  z.object({
    ...runStage,
    type: z.literal("run_end"),
    status: z.enum(["finished", "failed", "stopped"]),
    reason: z.string().optional(),
    preference: z.object({ before: z.number().nullable(), after: z.number().nullable() }).optional(),
  }),
]);
export type OrchestratorEvent = z.infer<typeof OrchestratorEvent>;

/**
 * Every event of a run, as stored in events.jsonl and broadcast: numbered in the order it was
 * recorded. The one schema of the protocol: Python lines, events.jsonl and websocket frames are
 * all parsed with it (docs/protocol.md is tested against it).
 */
const RunEventSchema = z.intersection(
  z.union([StageEvent, OrchestratorEvent]),
  z.object({ seq: z.number().int().positive() }),
);
export type RunEvent = (StageEvent | OrchestratorEvent) & { seq: number };

/** Every event type of the protocol, stages' and orchestrator's. */
export const EVENT_TYPES: readonly string[] = [...StageEvent.options, ...OrchestratorEvent.options].map(
  (o) => o.shape.type.value,
);

/** A recorded event (events.jsonl line, websocket frame) parsed, or a one-line reason it is not one. */
export function decodeRunEvent(value: unknown): { ok: true; event: RunEvent } | { ok: false; error: string } {
  const parsed = RunEventSchema.safeParse(value);
  if (parsed.success) return { ok: true, event: parsed.data };
  return { ok: false, error: firstIssue(parsed.error) };
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.join(".") || "event"}: ${issue.message}`;
}

type Decoded = { ok: true; event: StageEvent } | { ok: false; error: string };

/** Parses and validates one line from a stage, with a one-line reason when it is not an event. */
export function decodeStageEvent(line: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: "not JSON" };
  }
  const parsed = StageEvent.safeParse(value);
  return parsed.success ? { ok: true, event: parsed.data } : { ok: false, error: firstIssue(parsed.error) };
}

/** A metric that may be missing (null in the event) as a number or undefined. */
export function metricValue(m: Metric | null | undefined): number | undefined {
  return m ?? undefined;
}

/** A metrics record without its missing (null) values. */
export function metricNumbers(metrics: Record<string, Metric | null>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name in metrics) {
    const v = metrics[name];
    if (v !== null && v !== undefined) out[name] = v;
  }
  return out;
}

/** A non-finite number as the protocol writes it ("NaN", "Infinity", "-Infinity"); anything else as it is. */
function nonFiniteAsText(_key: string, value: unknown): unknown {
  if (typeof value !== "number" || Number.isFinite(value)) return value;
  return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
}

/**
 * An event as one line of JSON, for events.jsonl, the websocket and `--json`: the wire form,
 * whose non-finite metrics are strings (JSON.stringify alone would write them as null). Only
 * metrics can be non-finite: every other number of the schema is finite.
 */
export function encodeEvent(event: RunEvent | StageEvent | OrchestratorEvent): string {
  return JSON.stringify(event, nonFiniteAsText);
}
