/**
 * The recipe format. One zod schema is both the validator and the type: everything past
 * `parseRecipe` trusts `Recipe`. Keys are strict at every depth so a typo is an error, never a
 * silently ignored setting. A stage's `args` are TRL config fields, checked separately against
 * the fields of the targeted TRL config class (see ../trl/fields.ts).
 */
import { z } from "zod";
import { LaunchBlock } from "../distributed/block.js";
import { Generations } from "./generations.js";

/** Stage ids and recipe names become file names: keep them to a safe alphabet. */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const safeId = (what: string) =>
  z
    .string()
    .regex(
      SAFE_ID,
      `${what} may use letters, digits, '_', '-', '.', start with a letter or digit, and be at most 64 characters`,
    )
    .refine((s) => !s.includes(".."), `${what} may not contain '..'`);

// What each trainer needs of its data is one table, shared with the Python runtime.
import { SCORE_COLUMNS, STANDARD_COLUMNS, TRAINERS } from "../data/trainers.js";
import { Convert } from "../data/convert.js";
export { SCORE_COLUMNS, STANDARD_COLUMNS, TRAINERS, type Trainer } from "../data/trainers.js";

export const TinyModel = z
  .object({
    architecture: z.literal("llama").default("llama"),
    hidden_size: z.number().int().positive().default(64),
    num_layers: z.number().int().positive().default(2),
    num_heads: z.number().int().positive().default(4),
    vocab_size: z.number().int().min(64).default(320),
    /** Files whose text trains the tokenizer; the recipe's training data when absent. */
    data: z.array(z.string().min(1)).optional(),
    seed: z.number().int().default(0),
  })
  .strict();

/** Weights stored in 4 or 8 bits through bitsandbytes (QLoRA); only LoRA adapters train on them. */
export const Quantization = z
  .object({
    bits: z.union([z.literal(4), z.literal(8)], { error: "must be 4 or 8" }),
    /** 4-bit only: the data type of the stored weights (nf4 by default). */
    quant_type: z.enum(["nf4", "fp4"]).optional(),
    /** 4-bit only: the dtype matmuls run in; auto: model.dtype, else bfloat16 on a GPU that has it, else float32. */
    compute_dtype: z.enum(["auto", "float32", "bfloat16", "float16"]).optional(),
    /** 4-bit only: quantise the quantisation constants too (about 0.4 bits a weight less; on by default). */
    double_quant: z.boolean().optional(),
    /** 4-bit only: the dtype the packed weights are stored in (uint8 by default; FSDP wants the compute dtype). */
    quant_storage: z.enum(["uint8", "float32", "bfloat16", "float16"]).optional(),
  })
  .strict();
export const ATTENTION_IMPLEMENTATIONS = ["eager", "sdpa", "flash_attention_2"] as const;

export const Model = z
  .object({
    /** A Hugging Face Hub id (org/name) or a local folder. */
    name: z.string().min(1).optional(),
    /** A tiny random-weight model built locally (tests, quickstart); instead of `name`. */
    tiny: TinyModel.optional(),
    revision: z.string().min(1).optional(),
    dtype: z.enum(["auto", "float32", "bfloat16", "float16"]).default("auto"),
    trust_remote_code: z.boolean().default(false),
    /** A Jinja chat template replacing the tokenizer's own. */
    chat_template: z.string().min(1).optional(),
    /** Load the weights quantised (bitsandbytes extra); every stage then trains a LoRA adapter. */
    quantization: Quantization.optional(),
    /** transformers' attention kernel; its default (sdpa where the model supports it) when absent. */
    attn_implementation: z.enum(ATTENTION_IMPLEMENTATIONS).optional(),
  })
  .strict()
  .refine((m) => (m.name === undefined) !== (m.tiny === undefined), {
    message: "give exactly one of model.name (a Hub id or local path) or model.tiny",
  });

const FORMATS = ["json", "csv", "parquet"] as const;

/**
 * Where rows come from: a path (or list of paths) to local files, or a Hub dataset. Written as
 * one flat object rather than a union so a typo gets "unknown key, did you mean" instead of a
 * vague union error.
 */
export const sourceFields = {
  path: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
      error: "must be a file path or a list of file paths",
    })
    .optional(),
  format: z.enum(FORMATS).optional(),
  hub: z.string().min(1).optional(),
  split: z.string().min(1).optional(),
  config: z.string().min(1).optional(),
  revision: z.string().min(1).optional(),
};
const asObject = (v: unknown) => (typeof v === "string" || Array.isArray(v) ? { path: v } : v);

function checkSource(
  s: {
    path?: unknown;
    hub?: unknown;
    format?: unknown;
    split?: unknown;
    config?: unknown;
    revision?: unknown;
    fraction?: unknown;
  },
  ctx: z.RefinementCtx,
  fractionAllowed: boolean,
) {
  const kinds = [s.path !== undefined, s.hub !== undefined, s.fraction !== undefined].filter(Boolean).length;
  if (kinds !== 1) {
    ctx.addIssue({
      code: "custom",
      message: fractionAllowed
        ? "give one of path (local files), hub (a Hub dataset) or fraction (held out from train)"
        : "give one of path (local files) or hub (a Hub dataset)",
    });
  }
  if (s.hub === undefined && (s.split ?? s.config ?? s.revision) !== undefined) {
    ctx.addIssue({ code: "custom", message: "split, config and revision apply to hub datasets only" });
  }
  if (s.path === undefined && s.format !== undefined) {
    ctx.addIssue({ code: "custom", message: "format applies to local files only" });
  }
}

const Source = z.preprocess(
  asObject,
  z
    .object(sourceFields)
    .strict()
    .superRefine((s, ctx) => checkSource(s, ctx, false)),
);
const EvalSource = z.preprocess(
  asObject,
  z
    .object({ ...sourceFields, fraction: z.number().gt(0).lt(1).optional(), seed: z.number().int().optional() })
    .strict()
    .superRefine((s, ctx) => checkSource(s, ctx, true)),
);
export type Source = z.infer<typeof EvalSource>;

export const Data = z
  .object({
    train: Source,
    eval: EvalSource.optional(),
    /** Maps a standard column name to the column that holds it in the source. */
    columns: z.partialRecord(z.enum([...STANDARD_COLUMNS, ...SCORE_COLUMNS]), z.string().min(1)).default({}),
    /** Plain-text pairs become user/assistant messages (HH dialogues: their turns), so the chat template applies. */
    to_messages: z.boolean().default(false),
    /** A system turn added to chat prompts that have none. */
    system_prompt: z.string().min(1).optional(),
    /** Put between a plain-text prompt and its answer where neither has whitespace at the join. */
    separator: z.string().max(16).default(" "),
    /** Keep only pairs with score_chosen - score_rejected at least this. */
    min_score_margin: z.number().optional(),
    /** Rows laid out for another tool (LLaMA-Factory's sharegpt, alpaca), converted as they are read. */
    convert: Convert.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.convert && Object.keys(d.columns).length)
      ctx.addIssue({
        code: "custom",
        path: ["columns"],
        message: "data.convert names the source's columns (data.convert.columns): data.columns does not apply with it",
      });
  });

export const Lora = z
  .object({
    r: z.number().int().positive().default(16),
    lora_alpha: z.number().positive().default(32),
    lora_dropout: z.number().min(0).max(1).default(0.05),
    target_modules: z
      .union([z.literal("all-linear"), z.array(z.string().min(1)).min(1)], {
        error: "must be 'all-linear' or a list of module names",
      })
      .default("all-linear"),
    bias: z.enum(["none", "all", "lora_only"]).default("none"),
    modules_to_save: z.array(z.string().min(1)).optional(),
    use_rslora: z.boolean().optional(),
    use_dora: z.boolean().optional(),
  })
  .strict();

export const Stage = z
  .object({
    id: safeId("a stage id"),
    trainer: z.enum(TRAINERS),
    /** TRL config fields under their TRL names, checked against the targeted TRL version. */
    args: z.record(z.string(), z.unknown()).default({}),
    peft: Lora.optional(),
    /** Start from the saved output of this earlier stage. */
    from: z.string().min(1).optional(),
    /** Data for this stage only; the recipe's `data` otherwise. */
    data: Data.optional(),
    /** `auto`: the batch planner picks micro-batch, accumulation and checkpointing on the GPU, keeping the effective batch. */
    batch: z.literal("auto", { error: "must be 'auto' (or left out: the batch as written in args)" }).optional(),
    /** After training, also save the adapter merged into its base (de-quantised for QLoRA) in <output>/merged. */
    merge: z.boolean().optional(),
  })
  .strict();

export const Recipe = z
  .object({
    name: safeId("the recipe name"),
    description: z.string().optional(),
    seed: z.number().int().min(0).default(42),
    /** Where stage outputs go (one folder per stage id); under the run directory when absent. */
    output_dir: z.string().min(1).optional(),
    /** Optional packages (python/extras/) installed into the managed environment for this recipe. */
    extras: z.array(z.string().min(1)).optional(),
    model: Model,
    data: Data,
    stages: z.array(Stage).min(1),
    /** Processes, nodes and engine (torchrun, accelerate) of every stage; one process when absent. */
    launch: LaunchBlock.optional(),
    /** Save a checkpoint after this many minutes of training since the last one; 0: never. */
    checkpoint_every_minutes: z.number().min(0).default(10),
    /** Held-out preference accuracy measured before and after each stage (needs data.eval). */
    preference_eval: z
      .union([z.literal(false), z.object({ max_pairs: z.number().int().positive().default(200) }).strict()], {
        error: "must be false or { max_pairs: <integer> }",
      })
      .default({ max_pairs: 200 }),
    /** Greedy answers to fixed prompts before training, every N steps and at the end (./generations.ts). */
    generations: Generations.optional(),
  })
  .strict();

export type Recipe = z.infer<typeof Recipe>;
export type Stage = z.infer<typeof Stage>;
export type Data = z.infer<typeof Data>;
export type Lora = z.infer<typeof Lora>;
export type Quantization = z.infer<typeof Quantization>;
