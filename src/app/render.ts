/** `trellis render`: the scripts a run would execute, written to a folder for reading or running by hand. */
import path from "node:path";
import { resolveRecipe } from "../core/recipe/resolve.js";
import { renderRecipe, type RenderedStage } from "../core/render/render.js";
import { formatVersion } from "../core/trl/version.js";
import { TRELLIS_VERSION } from "../adapters/package-files.js";
import { writeScripts } from "../adapters/run-dir.js";
import { loadRecipe } from "./load-recipe.js";

export interface RenderOptions {
  recipeFile: string;
  outDir?: string;
  trlVersion?: string;
}

export interface RenderResult {
  outDir: string;
  trl: string;
  stages: RenderedStage[];
}

export async function renderToFolder(o: RenderOptions): Promise<RenderResult> {
  const loaded = await loadRecipe(o.recipeFile, "output", o.trlVersion);
  const outDir = path.resolve(o.outDir ?? path.join("rendered", loaded.recipe.name));
  const resolved = resolveRecipe(loaded.recipe, o.recipeFile, path.join(outDir, "output"));
  const stages = renderRecipe(resolved, loaded.trl, TRELLIS_VERSION, { specDir: outDir, ownDir: outDir });
  writeScripts(outDir, stages);
  return { outDir, trl: formatVersion(loaded.trl), stages };
}
