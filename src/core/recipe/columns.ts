/** Which columns each trainer needs, checked against the columns a data file really has. */
import type { Trainer } from "./schema.js";
import { didYouMean } from "./suggest.js";

/** Each alternative is a set of standard columns that together suffice. */
const NEEDS: Record<Trainer, string[][]> = {
  // Pairs with an explicit prompt, or "implicit prompt" pairs (TRL extracts the shared prefix).
  dpo: [
    ["prompt", "chosen", "rejected"],
    ["chosen", "rejected"],
  ],
  orpo: [
    ["prompt", "chosen", "rejected"],
    ["chosen", "rejected"],
  ],
  // Plain text, prompt/completion, chat messages, or preference data (trains on `chosen`).
  sft: [["text"], ["prompt", "completion"], ["messages"], ["prompt", "chosen"], ["chosen"]],
};

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
  const options = NEEDS[trainer];
  if (options.some((set) => set.every(has))) return undefined;
  const nearest = options[0]!;
  const missing = nearest.filter((c) => !has(c)).map((c) => `'${c}'`);
  const mapHint = missing.length
    ? ` (map a column with data.columns: {${nearest.find((c) => !has(c))}: <column>})`
    : "";
  const alternatives = trainer === "sft" ? "; sft also accepts text, prompt+completion or messages" : "";
  return `the ${trainer} trainer needs column ${missing.join(", ")}; found: ${found.join(", ") || "no columns"}${mapHint}${alternatives}`;
}
