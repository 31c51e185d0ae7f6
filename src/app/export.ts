/** `trellis export`: a recipe's stages as TRL CLI configs, written to a folder. */
import path from "node:path";
import { exportToTrlCli, type TrlExport } from "../core/interop/export/trl-cli.js";
import { parseRecipe } from "../core/recipe/parse.js";
import { writeTextFiles } from "../adapters/recipe-files.js";
import { displayPath, readRecipeText, targetTrl } from "./load-recipe.js";

interface ExportFileOptions {
  to: "trl";
  /** Default: ./exported/<recipe name>. */
  outDir?: string;
  trlVersion?: string;
}

interface ExportedFiles extends TrlExport {
  outDir: string;
  /** Absolute path of each written file, by stage id. */
  written: Record<string, string>;
}

export async function exportRecipeFile(file: string, options: ExportFileOptions): Promise<ExportedFiles> {
  const shown = displayPath(file);
  const text = await readRecipeText(file, shown);
  const { recipe } = parseRecipe(text, shown, { trl: targetTrl(options.trlVersion) });
  const result = exportToTrlCli(recipe, { recipeDir: path.dirname(path.resolve(file)), recipeFile: shown });
  const outDir = path.resolve(options.outDir ?? path.join("exported", recipe.name));
  const written = await writeTextFiles(
    outDir,
    result.stages.map((s) => ({ key: s.stage, name: s.file, text: s.text })),
  );
  return { ...result, outDir, written };
}
