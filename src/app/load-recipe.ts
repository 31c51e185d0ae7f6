/**
 * Everything checked before any Python starts: the recipe file, its schema and TRL args, the
 * stage graph, and that every local data file exists and has the columns its trainer needs.
 */
import path from "node:path";
import { RecipeError } from "../core/recipe/errors.js";
import { MAX_RECIPE_BYTES, parseRecipe, type ParsedRecipe } from "../core/recipe/parse.js";
import { resolveRecipe, type ResolvedRecipe } from "../core/recipe/resolve.js";
import { parseVersion, type Version } from "../core/trl/version.js";
import { unsupportedTrl } from "../core/trl/compat.js";
import { checkDataFiles, type DataFileReport } from "./check-data.js";
import { checkModel, type ModelReport } from "./check-model.js";
import { lockedTrlVersion } from "../adapters/package-files.js";
import { readCappedText } from "../adapters/recipe-files.js";
import { checkOutputFolder } from "./output-folder.js";

export interface LoadedRecipe extends ParsedRecipe {
  file: string;
  text: string;
  trl: Version;
  resolved: ResolvedRecipe;
  /** Each local data file: rows, shape, and what trellis does with it. */
  data: DataFileReport[];
  /** What is known of the model without loading it, and the disk space the run needs. */
  model: ModelReport;
}

export function targetTrl(requested?: string): Version {
  const text = requested ?? lockedTrlVersion();
  const v = parseVersion(text);
  if (!v)
    throw new RecipeError([
      { file: "--trl-version", path: [], message: `not a version: '${text}' (expected X.Y or X.Y.Z)` },
    ]);
  const outside = unsupportedTrl(v);
  if (outside) throw new RecipeError([{ file: "--trl-version", path: [], message: outside }]);
  return v;
}

/** `outputRoot` is where stage outputs go when the recipe sets no output_dir. */
/** `text`, when given, is read as if it were the content of `file` (reproducing a recorded recipe). */
export async function loadRecipe(
  file: string,
  outputRoot: string,
  trlVersion?: string,
  givenText?: string,
): Promise<LoadedRecipe> {
  const shown = displayPath(file);
  const text = givenText ?? (await readRecipeText(file, shown));
  const trl = targetTrl(trlVersion);
  const parsed = parseRecipe(text, shown, { trl });
  const resolved = resolveRecipe(parsed.recipe, file, outputRoot);
  checkOutputFolder(parsed, resolved, shown); // another run's, or a model trellis did not write: refused
  const data = await checkDataFiles(resolved, displayPath);
  const model = await checkModel(parsed, resolved, data, shown);
  return { ...parsed, file, text, trl, resolved, data, model };
}

/** A recipe file's text, refusing a missing or oversized file with a recipe error. */
export async function readRecipeText(file: string, shown = displayPath(file)): Promise<string> {
  const read = await readCappedText(file, MAX_RECIPE_BYTES);
  if (read.status === "missing") throw new RecipeError([{ file: shown, path: [], message: "recipe file not found" }]);
  if (read.status === "too_large")
    throw new RecipeError([
      {
        file: shown,
        path: [],
        message: `the recipe is larger than ${MAX_RECIPE_BYTES} bytes; is this the right file?`,
      },
    ]);
  return read.text;
}

/** Paths under the working directory are shown relative to it, others in full. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}
