/**
 * The comparison file's `reward` and `benchmarks` blocks: which reward model scores the answers,
 * and which lm-evaluation-harness tasks every model answers. Validated with the rest of the
 * comparison file, so a mistake is reported at its field before any arm trains.
 */
import { z } from "zod";

const positive = z.number().int().positive();

/** A tiny random reward model built here (tests, the offline quickstart); its tokenizer learns the arms' data. */
const TinyReward = z
  .object({
    hidden_size: positive.optional(),
    num_layers: positive.optional(),
    num_heads: positive.optional(),
    vocab_size: z.number().int().min(64).optional(),
    seed: z.number().int().optional(),
  })
  .strict();

export const RewardSpec = z
  .object({
    /** A Hub name (org/name) or a folder (relative to the comparison file) of a sequence-classification model. */
    model: z.string().min(1).optional(),
    /** A Hub revision (branch, tag or commit) of `model`. */
    revision: z.string().min(1).optional(),
    tiny: TinyReward.optional(),
    batch_size: positive.optional(),
    /** Tokens of prompt and answer the reward model reads (longer ones are cut). */
    max_length: positive.optional(),
  })
  .strict()
  .refine((r) => (r.model === undefined) !== (r.tiny === undefined), {
    message: "give exactly one of reward.model (a Hub id or a folder) or reward.tiny",
  })
  .refine((r) => r.revision === undefined || r.model !== undefined, {
    message: "reward.revision names a Hub commit of reward.model",
    path: ["revision"],
  });
export type RewardSpec = z.infer<typeof RewardSpec>;

/** A task is a local task YAML file when its name ends in .yaml or .yml, else a harness task name. */
export const isTaskFile = (task: string) => /\.ya?ml$/i.test(task);

export const BenchmarkSpec = z
  .object({
    /** Task YAML files (relative to the comparison file) or task names lm-evaluation-harness knows. */
    tasks: z
      .array(z.string().min(1))
      .min(1, "benchmarks.tasks needs at least one task (a task YAML file or a harness task name)"),
    /** At most this many questions of each task (the first ones): quicker, and noisier. */
    limit: positive.optional(),
    num_fewshot: z.number().int().min(0).optional(),
    batch_size: positive.optional(),
  })
  .strict();
export type BenchmarkSpec = z.infer<typeof BenchmarkSpec>;
