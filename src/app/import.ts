/**
 * `trellis import`: a foreign training config (TRL CLI, alignment-handbook, axolotl,
 * LLaMA-Factory) read from disk, turned into a trellis recipe, merged with an optional override
 * file, and validated like any recipe. Also how `trellis run` takes such a config as it is.
 */
import path from "node:path";
import { LineCounter, parseDocument, stringify } from "yaml";
import { RecipeError } from "../core/recipe/errors.js";
import { MAX_RECIPE_BYTES, parseRecipe } from "../core/recipe/parse.js";
import type { Recipe, Trainer } from "../core/recipe/schema.js";
import {
  detectFormat,
  importConfig,
  ImportError,
  isLlamaFactoryV1,
  isMapping,
  mapLocalPaths,
  mergeOverride,
  rebasePaths,
  type DetectedFormat,
  type ImportFormat,
  type ImportResult,
  type Raw,
} from "../core/interop/import/index.js";
import { readCappedText, readJsonFile } from "../adapters/recipe-files.js";
import { readPackageUniverse } from "../adapters/extras-files.js";
import { displayPath, targetTrl } from "./load-recipe.js";

/** An alias bomb in a config is refused as in recipes. */
const MAX_ALIAS_COUNT = 100;

interface ImportFileOptions {
  /** The source tool; detected from the keys when absent. */
  from?: ImportFormat;
  /** Forces the stage's trainer (TRL CLI / handbook files do not name it). */
  trainer?: Trainer;
  /** A YAML file merged over the imported recipe (null deletes a key). */
  override?: string;
  /** Validate for this TRL version (default: the managed environment's pin). */
  trlVersion?: string;
  /**
   * Rebase the imported config's relative data paths: the tools read them against their working
   * directory (`from`); the recipe reads them against its own folder (`to`; absolute paths when
   * absent). Without it they are written as they are.
   */
  rebase?: { from: string; to?: string };
  /** Where the recipe will be written: validation problems point into it. */
  outputFile?: string;
}

export interface ImportedRecipe extends ImportResult {
  format: DetectedFormat;
  /** The recipe as YAML, with a header naming the source; a trellis recipe comes back as written. */
  yamlText: string;
  /** The validated recipe (defaults filled in). */
  validated: Recipe;
}

/** The merged recipe failed validation: the problems, plus what was imported, to show or write. */
export class ImportedRecipeError extends RecipeError {
  constructor(
    error: RecipeError,
    readonly imported: Omit<ImportedRecipe, "validated">,
  ) {
    super(error.problems);
    this.name = "ImportedRecipeError";
  }
}

export async function importRecipeFile(file: string, options: ImportFileOptions = {}): Promise<ImportedRecipe> {
  const shown = displayPath(file);
  const { raw, text } = await readYamlMapping(file);
  const format = options.from ?? detectFormat(raw);
  if (!format)
    throw new ImportError(
      `${shown}: cannot tell which tool this config is for; pass --from trl|handbook|axolotl|llamafactory`,
    );
  const v1 = format === "llamafactory" && isLlamaFactoryV1(raw);
  const datasetInfo = format === "llamafactory" && !v1 ? await readDatasetInfo(raw, file) : undefined;
  const datasetFiles = v1 ? await readDatasetFiles(raw, file) : undefined;
  const result = importConfig(raw, format, {
    file: shown,
    text,
    trainer: options.trainer,
    datasetInfo,
    datasetFiles,
    packages: readPackageUniverse(),
  });

  let recipe = result.recipe;
  if (options.rebase && format !== "trellis")
    recipe = mapLocalPaths(recipe, rebasePaths(options.rebase.from, options.rebase.to));
  if (options.override) {
    const over = await readYamlMapping(options.override);
    recipe = mergeOverride(recipe, mapLocalPaths(over.raw, rebasePaths(path.dirname(path.resolve(options.override)))));
  }
  const yamlText =
    format === "trellis" && !options.override
      ? text
      : [
          `# Imported by trellis from ${shown} (${format}; trainer ${result.trainer}: ${result.trainerReason.replace(/\n/g, " ")})${options.override ? `,\n# with ${displayPath(options.override)} merged over it` : ""}.`,
          `# \`trellis import ${shown}\` reports what became of each of its keys.`,
          stringify(recipe, { lineWidth: 0 }),
        ].join("\n");
  const imported = { ...result, recipe, format, yamlText };
  try {
    const label = options.outputFile
      ? displayPath(options.outputFile)
      : format === "trellis" && !options.override
        ? shown
        : `${shown} (imported)`;
    const parsed = parseRecipe(yamlText, label, { trl: targetTrl(options.trlVersion) });
    return { ...imported, validated: parsed.recipe };
  } catch (err) {
    if (err instanceof RecipeError) throw new ImportedRecipeError(err, imported);
    throw err;
  }
}

/**
 * The imported recipe when `file` is another tool's config; undefined for trellis recipes and for
 * files that are not a readable mapping (the recipe parser then says why, with a location). How
 * `trellis run` and `trellis check` take a foreign config as it is: its relative data paths are
 * read against the working directory, as its own tool would.
 */
export async function importIfForeign(file: string, trlVersion?: string): Promise<ImportedRecipe | undefined> {
  let raw: unknown;
  try {
    raw = (await readYamlMapping(file)).raw;
  } catch {
    return undefined;
  }
  const format = detectFormat(raw);
  if (!format || format === "trellis") return undefined;
  return importRecipeFile(file, { rebase: { from: process.cwd() }, trlVersion });
}

/** A YAML file that must hold a mapping, read with the recipe parser's limits. */
export async function readYamlMapping(file: string): Promise<{ raw: Raw; text: string }> {
  const shown = displayPath(file);
  const read = await readCappedText(file, MAX_RECIPE_BYTES);
  if (read.status === "missing") throw new ImportError(`${shown}: file not found`);
  if (read.status === "too_large")
    throw new ImportError(`${shown}: larger than ${MAX_RECIPE_BYTES} bytes; is this the right file?`);
  const text = read.text;
  const lines = new LineCounter();
  let raw: unknown;
  try {
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
    const first = doc.errors[0];
    if (first) {
      const pos = lines.linePos(first.pos[0]);
      throw new ImportError(`${shown}:${pos.line}:${pos.col}: invalid YAML: ${first.message.split("\n")[0]}`);
    }
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (err instanceof ImportError) throw err;
    throw new ImportError(
      `${shown}: ${err instanceof RangeError ? "the YAML is nested too deeply" : `invalid YAML: ${(err as Error).message}`}`,
    );
  }
  if (!isMapping(raw)) throw new ImportError(`${shown}: expected a YAML mapping of settings`);
  return { raw, text };
}

/** The bases LLaMA-Factory's relative paths are tried against: its working directory, then the config's folder. */
const bases = (file: string) => [process.cwd(), path.dirname(path.resolve(file))];

/** LLaMA-Factory v1's `train_dataset`/`eval_dataset` dataset files (`data/v1_dpo_demo.yaml`), parsed. */
async function readDatasetFiles(raw: Raw, file: string): Promise<Record<string, Raw>> {
  const out: Record<string, Raw> = {};
  for (const ref of [raw.train_dataset, raw.eval_dataset]) {
    if (typeof ref !== "string" || !/\.ya?ml$/i.test(ref) || ref in out) continue;
    for (const base of bases(file)) {
      try {
        const { raw: parsed } = await readYamlMapping(path.resolve(base, ref));
        out[ref] = parsed;
        break;
      } catch {
        // Not there, or not a mapping: the importer says the dataset file was not read.
      }
    }
  }
  return out;
}

/** LLaMA-Factory names datasets in <dataset_dir>/dataset_info.json, read against its working directory. */
async function readDatasetInfo(raw: Raw, file: string): Promise<Raw | undefined> {
  const dir = typeof raw.dataset_dir === "string" ? raw.dataset_dir : "data";
  for (const base of bases(file)) {
    try {
      const info = await readJsonFile(path.resolve(base, dir, "dataset_info.json"));
      if (isMapping(info)) return info;
    } catch {
      // Not there, or not JSON: the importer says the dataset name was not resolved.
    }
  }
  return undefined;
}
