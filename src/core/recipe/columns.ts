/** Which columns each trainer needs (the table in data/trainers.ts), checked against a data file's. */
import { columnAlternatives, sftColumnsText, TRAINER_NEEDS, type Trainer } from "../data/trainers.js";
import { didYouMean } from "./suggest.js";

/**
 * A one-line problem when no alternative is satisfied, else undefined. `columns` maps standard
 * names to source columns (recipe `data.columns`).
 */
export function missingColumns(
  trainer: Trainer,
  found: readonly string[],
  columns: Record<string, string>,
): string | undefined {
  // A mapping to a column that is not there is an error even where another reading would fit
  // (implicit-prompt pairs without the mapped prompt): the user asked for that column.
  for (const [standard, source] of Object.entries(columns)) {
    if (!found.includes(source)) {
      return `data.columns maps ${standard} to column '${source}', which is not in the file${didYouMean(source, found)} (found: ${found.join(", ") || "no columns"})`;
    }
  }
  const has = (standard: string) => found.includes(columns[standard] ?? standard);
  const options = columnAlternatives(trainer);
  if (options.some((set) => set.every(has))) return undefined;
  const seen = found.join(", ") || "no columns";
  if (!TRAINER_NEEDS[trainer].preference)
    return `the ${trainer} trainer needs column ${sftColumnsText()} (or preference pairs with 'chosen'); found: ${seen} (map a column with data.columns: {text: <column>})`;
  // Pairs: name what is missing for the fullest reading (an explicit prompt).
  // KTO data with a label column is unpaired examples: name what those lack.
  const unpaired = TRAINER_NEEDS[trainer].unpaired_columns;
  const nearest = unpaired && has("label") ? unpaired : options[0]!;
  const missing = nearest.filter((c) => !has(c)).map((c) => `'${c}'`);
  const mapHint = missing.length
    ? ` (map a column with data.columns: {${nearest.find((c) => !has(c))}: <column>})`
    : "";
  return `the ${trainer} trainer needs column ${missing.join(", ")}; found: ${seen}${mapHint}`;
}
