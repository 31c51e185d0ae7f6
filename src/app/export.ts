/** `trellis export`: a recipe's stages as TRL CLI configs, written to a folder. */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { exportToTrlCli, type TrlExport } from "../core/export/trl-cli.js";
import { RecipeError } from "../core/recipe/errors.js";
import { MAX_RECIPE_BYTES, parseRecipe } from "../core/recipe/parse.js";
import { displayPath, targetTrl } from "./load-recipe.js";

export interface ExportFileOptions {
  to: "trl";
  /** Default: ./exported/<recipe name>. */
  outDir?: string;
  trlVersion?: string;
}

export interface ExportedFiles extends TrlExport {
  outDir: string;
  /** Absolute path of each written file, by stage id. */
  written: Record<string, string>;
}

export async function exportRecipeFile(file: string, options: ExportFileOptions): Promise<ExportedFiles> {
  const shown = displayPath(file);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new RecipeError([{ file: shown, path: [], message: "recipe file not found" }]);
  }
  if (size > MAX_RECIPE_BYTES) throw new RecipeError([{ file: shown, path: [], message: `the recipe is larger than ${MAX_RECIPE_BYTES} bytes; is this the right file?` }]);
  const text = new TextDecoder("utf-8").decode(await readFile(file));
  const { recipe } = parseRecipe(text, shown, { trl: targetTrl(options.trlVersion) });
  const result = exportToTrlCli(recipe, { recipeDir: path.dirname(path.resolve(file)), recipeFile: shown });
  const outDir = path.resolve(options.outDir ?? path.join("exported", recipe.name));
  const written: Record<string, string> = {};
  if (result.stages.length) await mkdir(outDir, { recursive: true });
  for (const stage of result.stages) {
    const target = path.join(outDir, stage.file);
    await writeFile(target, stage.text);
    written[stage.stage] = target;
  }
  return { ...result, outDir, written };
}
