/**
 * Trainers that are presets of another TRL trainer: their arguments under the recipe's `args`
 * (the recipe's own values win). simpo is TRL's CPOTrainer with SimPO's loss and no behaviour
 * cloning term, as TRL's CPO docs put it ("loss_type='simpo' and cpo_alpha=0 in the CPOConfig").
 */
import type { Trainer } from "../recipe/schema.js";

/**
 * SimPO's published hyperparameters: beta 2.0 with gamma/beta 0.5, i.e. a target margin gamma of
 * 1.0 (Meng, Xia and Chen, "SimPO: Simple Preference Optimization with a Reference-Free Reward",
 * arXiv 2405.14734, and the princeton-nlp/SimPO README's hyperparameter notes: beta around 2.0 to
 * 2.5, gamma_beta_ratio around 0.5; its released configs vary both per model). TRL's simpo_gamma
 * is gamma itself (its loss subtracts simpo_gamma / beta), and
 * CPOConfig's own defaults (beta 0.1, simpo_gamma 0.5) are CPO's, not SimPO's.
 */
export const SIMPO_DEFAULTS = { loss_type: "simpo", cpo_alpha: 0.0, beta: 2.0, simpo_gamma: 1.0 } as const;

export const PRESET_ARGS: Partial<Record<Trainer, Readonly<Record<string, unknown>>>> = {
  simpo: SIMPO_DEFAULTS,
};

/** Trainers that train against a frozen reference model (a second forward pass per batch). */
export function usesReference(trainer: Trainer): boolean {
  return trainer === "dpo" || trainer === "kto";
}
