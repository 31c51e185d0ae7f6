/**
 * Everything checked before any Python starts: the recipe file, its schema and TRL args, the
 * stage graph, and that every local data file exists and has the columns its trainer needs.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { missingColumns } from "../core/recipe/columns.js";
import { RecipeError } from "../core/recipe/errors.js";
import { MAX_RECIPE_BYTES, parseRecipe, type ParsedRecipe } from "../core/recipe/parse.js";
import { localDataFiles, resolveRecipe, type ResolvedRecipe } from "../core/recipe/resolve.js";
import { parseVersion, type Version } from "../core/trl/version.js";
import { DataFileError, readColumns } from "../adapters/data-files.js";
import { lockedTrlVersion } from "../adapters/package-files.js";

export interface LoadedRecipe extends ParsedRecipe {
  file: string;
  text: string;
  trl: Version;
  resolved: ResolvedRecipe;
}

export function targetTrl(requested?: string): Version {
  const text = requested ?? lockedTrlVersion();
  const v = parseVersion(text);
  if (!v) throw new RecipeError([{ file: "--trl-version", path: [], message: `not a version: '${text}' (expected X.Y or X.Y.Z)` }]);
  return v;
}

/** `outputRoot` is where stage outputs go when the recipe sets no output_dir. */
/** `text`, when given, is read as if it were the content of `file` (reproducing a recorded recipe). */
export async function loadRecipe(file: string, outputRoot: string, trlVersion?: string, givenText?: string): Promise<LoadedRecipe> {
  const shown = displayPath(file);
  const text = givenText ?? (await readRecipeText(file, shown));
  const trl = targetTrl(trlVersion);
  const parsed = parseRecipe(text, shown, { trl });
  const resolved = resolveRecipe(parsed.recipe, file, outputRoot);
  await checkDataFiles(resolved);
  return { ...parsed, file, text, trl, resolved };
}

/** A recipe file's text, refusing a missing or oversized file with a recipe error. */
export async function readRecipeText(file: string, shown = displayPath(file)): Promise<string> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new RecipeError([{ file: shown, path: [], message: "recipe file not found" }]);
  }
  if (size > MAX_RECIPE_BYTES) throw new RecipeError([{ file: shown, path: [], message: `the recipe is larger than ${MAX_RECIPE_BYTES} bytes; is this the right file?` }]);
  return new TextDecoder("utf-8", { fatal: false }).decode(await readFile(file));
}

async function checkDataFiles(resolved: ResolvedRecipe): Promise<void> {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { file, format, stage } of localDataFiles(resolved)) {
    const key = `${file}\0${stage.stage.trainer}`;
    if (seen.has(key)) continue;
    seen.add(key);
    try {
      const found = await readColumns(file, format);
      const missing = missingColumns(stage.stage.trainer, found, stage.data.columns);
      if (missing) problems.push(`${displayPath(file)}: stage '${stage.stage.id}': ${missing}`);
    } catch (err) {
      if (!(err instanceof DataFileError)) throw err;
      problems.push(`${err.message.replace(file, displayPath(file))} (stage '${stage.stage.id}')`);
    }
  }
  if (problems.length) throw new DataFileError(problems.join("\n"));
}

/** Paths under the working directory are shown relative to it, others in full. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}
