/** `trellis render`: the scripts a run would execute, written to a folder for reading or running by hand. */
import path from "node:path";
import { resolveRecipe } from "../core/recipe/resolve.js";
import { renderRecipe, type RenderedStage } from "../core/render/render.js";
import { formatVersion } from "../core/trl/version.js";
import { TRELLIS_VERSION } from "../adapters/package-files.js";
import { writeScripts } from "../adapters/run-dir.js";
import { loadRecipe } from "./load-recipe.js";
import type { SlurmOptions } from "../core/distributed/slurm.js";
import type { LaunchFlags } from "../core/distributed/resolve.js";
import { distributedOf, slurmFlags } from "./prepare-run.js";
import { writeSlurmScripts } from "../adapters/slurm-files.js";

interface RenderOptions {
  recipeFile: string;
  outDir?: string;
  trlVersion?: string;
  /** `--slurm`: also each stage's Slurm batch script, for the managed environment's Python. */
  slurm?: SlurmOptions;
  launchFlags?: LaunchFlags;
  environment?: () => Promise<{ python: string }>;
}

interface RenderResult {
  outDir: string;
  trl: string;
  stages: RenderedStage[];
  slurmScripts: string[];
}

export async function renderToFolder(o: RenderOptions): Promise<RenderResult> {
  const loaded = await loadRecipe(o.recipeFile, "output", o.trlVersion);
  const outDir = path.resolve(o.outDir ?? path.join("rendered", loaded.recipe.name));
  const resolved = resolveRecipe(loaded.recipe, o.recipeFile, path.join(outDir, "output"));
  const stages = renderRecipe(resolved, loaded.trl, TRELLIS_VERSION, { specDir: outDir, ownDir: outDir });
  writeScripts(outDir, stages);
  let slurmScripts: string[] = [];
  if (o.slurm && o.environment) {
    const { python } = await o.environment();
    const d = await distributedOf(loaded.recipe, o.recipeFile, slurmFlags(o.launchFlags ?? {}, o.slurm), python);
    const runId = `${loaded.recipe.name}-rendered`;
    if (d)
      slurmScripts = writeSlurmScripts({
        runDir: outDir,
        scriptsDir: outDir,
        runId,
        python,
        d,
        slurm: o.slurm,
        stages: stages.map((s) => ({ id: s.id, script: s.script.name })),
      });
  }
  return { outDir, trl: formatVersion(loaded.trl), stages, slurmScripts };
}
