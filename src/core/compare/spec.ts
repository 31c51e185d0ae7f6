/**
 * A comparison file: a name, the arms' recipe files (relative to this file), and settings
 * applied to every arm so that they are scored alike (the prompts they all answer).
 *
 *   name: quickstart-compare
 *   compare: [quickstart-orpo.yaml, quickstart-sft-dpo.yaml]
 *   generations: { count: 3, max_new_tokens: 8 }
 *   reward: { model: OpenAssistant/reward-model-deberta-v3-large-v2 }   # or a folder, or tiny: {}
 *   benchmarks: { tasks: [data/benchmarks/colours-mc.yaml, hellaswag], limit: 200 }
 */
import { z } from "zod";
import { Generations } from "../recipe/generations.js";
import { SAFE_ID } from "../recipe/schema.js";
import { BenchmarkSpec, RewardSpec } from "../eval/score-spec.js";

export const CompareSpec = z
  .object({
    name: z.string().regex(SAFE_ID, "the comparison's name may use letters, digits, '_', '-', '.'"),
    description: z.string().optional(),
    /** The arms: recipe files, relative to this file. */
    compare: z.array(z.string().min(1)).min(2, "compare needs at least 2 recipes (arms)"),
    /** Set in every arm's recipe (replacing its own): the same prompts for all. */
    generations: Generations.optional(),
    /** A reward model that scores every arm's answers and the starting model's (docs/evaluation-scores.md). */
    reward: RewardSpec.optional(),
    /** lm-evaluation-harness tasks scored for the starting model and every arm's final model. */
    benchmarks: BenchmarkSpec.optional(),
  })
  .strict();
export type CompareSpec = z.infer<typeof CompareSpec>;

/** Whether a parsed YAML mapping is a comparison file rather than a recipe. */
export function isCompareFile(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw) && "compare" in raw;
}

/** A comparison's name from its arms' names when no file gives one: `quickstart-orpo-vs-quickstart-sft-dpo`. */
export function defaultName(arms: readonly string[]): string {
  const name = arms.join("-vs-").replace(/[^A-Za-z0-9_.-]/g, "-");
  return name.length <= 64 ? name : `${name.slice(0, 55)}-and-more`;
}
