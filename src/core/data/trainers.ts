/**
 * What each trainer needs of its data: python/trellis_runtime/trainers.json, the one table that
 * the runtime reads too (trellis_runtime/trainers.py). Edit the JSON, not these names;
 * test/core/data/trainers.test.ts and python/tests/test_trainers.py check both sides read it alike.
 */
import table from "../../../python/trellis_runtime/trainers.json" with { type: "json" };

export type Trainer = keyof typeof table.trainers;

interface TrainerNeeds {
  /** Trains on preference pairs (pair_columns). */
  preference: boolean;
  /** sft: the column sets it trains on directly, in order of precedence. */
  column_sets?: string[][];
  /** kto: the columns of its unpaired examples (prompt, completion, label); it unpairs pairs itself. */
  unpaired_columns?: string[];
}

export const TRAINER_NEEDS: Readonly<Record<Trainer, TrainerNeeds>> = table.trainers;
/** Every trainer, in the table's order (sft, dpo, orpo, kto, cpo, simpo). */
export const TRAINERS = Object.keys(table.trainers) as [Trainer, ...Trainer[]];
/** The column names TRL's trainers read. */
export const STANDARD_COLUMNS = table.standard_columns as [string, ...string[]];
export const SCORE_COLUMNS = table.score_columns as [string, ...string[]];
export const ROLES: readonly string[] = table.roles;
/** One value this big is ~1M tokens, beyond any max_length: a wrong file or a broken export. */
export const MAX_VALUE_BYTES: number = table.max_value_bytes;
/** Failure cause -> the dotted name of the runtime's exception for it. */
export const DATA_ERRORS: Readonly<Record<keyof typeof table.errors, string>> = table.errors;
/** Libraries' exceptions that mean a data file cannot be read (the runtime turns them into data_file errors). */
export const READ_ERRORS: readonly string[] = table.read_errors;

/** The pair columns kept from `found`, in the standard order (the optional ones where present). */
export function pairColumns(found: readonly string[]): string[] {
  const { required, optional } = table.pair_columns;
  return STANDARD_COLUMNS.filter((c) => required.includes(c) || (optional.includes(c) && found.includes(c)));
}

/** The column sets a trainer can train on, any one of which suffices. */
export function columnAlternatives(trainer: Trainer): string[][] {
  const pairs = [pairColumns(table.pair_columns.optional), table.pair_columns.required];
  const sets = TRAINER_NEEDS[trainer].column_sets;
  const unpaired = TRAINER_NEEDS[trainer].unpaired_columns;
  // kto trains on unpaired examples or on pairs it unpairs.
  if (unpaired) return [...pairs, unpaired];
  // sft trains on preference pairs' chosen answers too, and on a chosen column alone.
  return TRAINER_NEEDS[trainer].preference || !sets ? pairs : [...sets, ["chosen"]];
}

/** "'messages', 'prompt' and 'completion', or 'text'": what an sft stage can train on directly. */
export function sftColumnsText(): string {
  const sets = (TRAINER_NEEDS.sft.column_sets ?? []).map((s) => s.map((c) => `'${c}'`).join(" and "));
  return sets.length > 1 ? `${sets.slice(0, -1).join(", ")}, or ${sets.at(-1)}` : (sets[0] ?? "");
}
