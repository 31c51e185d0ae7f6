/**
 * What changed across TRL releases that a rendered script or a recipe must respect.
 * Sources: the huggingface/trl release tags and PRs named in docs/design/TRL_FACTS.md.
 */
import type { Trainer } from "../recipe/schema.js";
import { atLeast, formatVersion, type Version } from "./version.js";

/**
 * The TRL releases trellis renders for: from OLDEST_SUPPORTED_TRL up to, not including,
 * BEYOND_SUPPORTED_TRL. The oldest is the oldest release the version matrix
 * (scripts/test-matrix.mjs versions) ran the quickstarts under; docs/recipes.md says why not older.
 */
export const OLDEST_SUPPORTED_TRL = "0.12.0";
/** A next major release may move anything again: refuse it rather than render a guess. */
export const BEYOND_SUPPORTED_TRL = "2.0.0";

/** Why `target` is outside the supported range (one clause, the caller adds what to do), or undefined. */
export function unsupportedTrl(target: Version): string | undefined {
  const range = `trellis supports TRL ${OLDEST_SUPPORTED_TRL} up to (not including) ${BEYOND_SUPPORTED_TRL}`;
  if (!atLeast(target, OLDEST_SUPPORTED_TRL)) return `TRL ${formatVersion(target)} is too old: ${range}`;
  if (atLeast(target, BEYOND_SUPPORTED_TRL))
    return `TRL ${formatVersion(target)} is newer than trellis knows: ${range}`;
  return undefined;
}

export interface RemovedField {
  trainer: Trainer;
  field: string;
  removedIn: string;
  instead: string;
}

export const REMOVED_FIELDS: readonly RemovedField[] = [
  {
    trainer: "dpo",
    field: "max_prompt_length",
    removedIn: "0.29.0",
    instead:
      "prompts are no longer truncated separately; bound the whole sequence with max_length (truncation_mode picks which end is kept)",
  },
  {
    trainer: "dpo",
    field: "max_completion_length",
    removedIn: "0.29.0",
    instead: "bound the whole sequence with max_length",
  },
  {
    trainer: "dpo",
    field: "rpo_alpha",
    removedIn: "0.29.0",
    instead: "use loss_type: [sigmoid, sft] with loss_weights: [1.0, <rpo_alpha>]",
  },
  {
    trainer: "dpo",
    field: "reference_free",
    removedIn: "0.29.0",
    instead: "there is no reference-free DPO in TRL any more; ORPO (trainer: orpo) needs no reference model",
  },
  {
    trainer: "dpo",
    field: "ref_model_init_kwargs",
    removedIn: "0.29.0",
    instead: "the reference is loaded like the policy (model.dtype, model.revision)",
  },
  { trainer: "dpo", field: "generate_during_eval", removedIn: "0.29.0", instead: "generate samples with a callback" },
  {
    trainer: "orpo",
    field: "max_prompt_length",
    removedIn: "0.28.0",
    instead: "bound the whole sequence with max_length",
  },
  { trainer: "sft", field: "max_seq_length", removedIn: "0.21.0", instead: "use max_length" },
];

/** A field's name in older releases, where TRL renamed it (the older field tables have the old name). */
const EARLIER_NAMES: Partial<Record<Trainer, Record<string, string>>> = {
  sft: { max_length: "max_seq_length" },
};

export function earlierName(trainer: Trainer, field: string): string | undefined {
  return EARLIER_NAMES[trainer]?.[field];
}

export function removedField(trainer: Trainer, field: string, target: Version): RemovedField | undefined {
  return REMOVED_FIELDS.find((r) => r.trainer === trainer && r.field === field && atLeast(target, r.removedIn));
}

/** Fields the pinned TRL lacks but the (older) target still has. */
export function stillPresent(trainer: Trainer, field: string, target: Version): boolean {
  return REMOVED_FIELDS.some((r) => r.trainer === trainer && r.field === field && !atLeast(target, r.removedIn));
}

/** ORPO moved to trl.experimental.orpo in 0.26 (#4480); the top-level shim went in 0.29. */
export function orpoImport(target: Version): string {
  return atLeast(target, "0.26.0") ? "trl.experimental.orpo" : "trl";
}

/**
 * KTO moved to trl.experimental.kto in 0.26 (#4575; the top-level name stayed as a shim that
 * warns) and was promoted back to the stable API in 1.8 (#6175; now trl.experimental.kto warns).
 */
export function ktoImport(target: Version): string {
  return atLeast(target, "0.26.0") && !atLeast(target, "1.8.0") ? "trl.experimental.kto" : "trl";
}

/** CPO (and SimPO, its loss_type) followed ORPO to trl.experimental.cpo in 0.26, shim gone in 0.29. */
export function cpoImport(target: Version): string {
  return atLeast(target, "0.26.0") ? "trl.experimental.cpo" : "trl";
}

/** `tokenizer=` became `processing_class=` in 0.12. */
export function tokenizerKeyword(target: Version): "processing_class" | "tokenizer" {
  return atLeast(target, "0.12.0") ? "processing_class" : "tokenizer";
}

/**
 * Trainers whose batches trellis packs itself (python/trellis_runtime/padding_free.py), and the
 * TRL releases it is rendered for: 1.x, which pins transformers 5 (attention within packed
 * sequences from position_ids). The runtime checks the installed transformers again.
 */
const PADDING_FREE_TRAINERS: readonly Trainer[] = ["dpo", "orpo", "cpo", "simpo", "kto"];
export function paddingFreeRendered(trainer: Trainer, target: Version): boolean {
  return PADDING_FREE_TRAINERS.includes(trainer) && atLeast(target, "1.0.0");
}
