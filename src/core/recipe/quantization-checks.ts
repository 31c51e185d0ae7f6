/**
 * Checks of quantised training (QLoRA), merging and optimizer names that need the whole recipe:
 * quantised weights cannot be trained themselves, so every stage trains an adapter; 4-bit settings
 * mean nothing at 8 bits; a merge needs an adapter to merge. Pure, like check.ts.
 */
import type { Finding } from "./errors.js";
import type { Recipe } from "./schema.js";
import { didYouMean } from "./suggest.js";

/** The settings of model.quantization that only 4-bit loading reads. */
const FOUR_BIT_ONLY = ["quant_type", "compute_dtype", "double_quant", "quant_storage"] as const;

/** transformers 5.18's OptimizerNames: `optim` takes one of these (anything else fails when the config is built). */
const OPTIMIZER_NAMES = [
  "adamw_torch",
  "adamw_torch_fused",
  "adamw_torch_xla",
  "adamw_torch_npu_fused",
  "adafactor",
  "adamw_anyprecision",
  "adamw_torch_4bit",
  "adamw_torch_8bit",
  "ademamix",
  "sgd",
  "adagrad",
  "adamw_bnb_8bit",
  "adamw_8bit",
  "ademamix_8bit",
  "lion_8bit",
  "lion_32bit",
  "paged_adamw_32bit",
  "paged_adamw_8bit",
  "paged_ademamix_32bit",
  "paged_ademamix_8bit",
  "paged_lion_32bit",
  "paged_lion_8bit",
  "rmsprop",
  "rmsprop_bnb",
  "rmsprop_bnb_8bit",
  "rmsprop_bnb_32bit",
  "galore_adamw",
  "galore_adamw_8bit",
  "galore_adafactor",
  "galore_adamw_layerwise",
  "galore_adamw_8bit_layerwise",
  "galore_adafactor_layerwise",
  "lomo",
  "adalomo",
  "grokadamw",
  "schedule_free_radam",
  "schedule_free_adamw",
  "schedule_free_sgd",
  "apollo_adamw",
  "apollo_adamw_layerwise",
  "stable_adamw",
] as const;

export function checkQuantization(recipe: Recipe): Finding[] {
  const findings: Finding[] = [];
  const q = recipe.model.quantization;
  if (q) {
    if (q.bits === 8) {
      for (const key of FOUR_BIT_ONLY) {
        if (q[key] !== undefined)
          findings.push({
            path: ["model", "quantization", key],
            message: `a 4-bit setting: 8-bit loading (bits: 8) has no ${key}; remove it, or use bits: 4`,
          });
      }
    }
    recipe.stages.forEach((stage, i) => {
      if (stage.peft) return;
      findings.push({
        path: ["stages", i],
        message: `stage '${stage.id}' has no peft block, but model.quantization loads the weights in ${q.bits} bits, which cannot be trained themselves: add a peft block (QLoRA), or remove model.quantization to fine-tune fully`,
      });
    });
  }
  recipe.stages.forEach((stage, i) => {
    if (stage.merge === true && !stage.peft) {
      findings.push({
        path: ["stages", i, "merge"],
        message: `stage '${stage.id}' trains the full model (no peft block): its output is already a full model, there is no adapter to merge; remove merge`,
      });
    }
    const optim = stage.args.optim;
    if (typeof optim === "string" && !(OPTIMIZER_NAMES as readonly string[]).includes(optim)) {
      findings.push({
        path: ["stages", i, "args", "optim"],
        message: `'${optim}' is not an optimizer transformers knows${didYouMean(optim, OPTIMIZER_NAMES)} (8-bit and paged ones: adamw_bnb_8bit, paged_adamw_8bit, paged_adamw_32bit)`,
      });
    }
  });
  return findings;
}
