/**
 * The recipe's `generations` block: greedy answers to a fixed prompt list before training, every
 * N steps and at each stage's end, sent as `generations` events (python/trellis_runtime/generate.py).
 * Kept beside the schema rather than in it: one block, one file.
 */
import { z } from "zod";

/** Answers are read on a terminal and in a report: a few prompts are enough to see a change. */
const DEFAULT_COUNT = 4;
/** Enough for one sentence of the quickstart data; long answers cost generation time on every call. */
const DEFAULT_MAX_NEW_TOKENS = 24;

export const Generations = z
  .object({
    /** The prompts (plain text); drawn from the eval pairs with the recipe's seed when absent. */
    prompts: z.array(z.string().min(1)).min(1).optional(),
    /** How many prompts to draw from the eval pairs when `prompts` is absent. */
    count: z.number().int().positive().default(DEFAULT_COUNT),
    /** Also generate every this many optimizer steps; 0: only before training and at the end. */
    every_steps: z.number().int().min(0).default(0),
    max_new_tokens: z.number().int().positive().default(DEFAULT_MAX_NEW_TOKENS),
  })
  .strict();
export type Generations = z.infer<typeof Generations>;
