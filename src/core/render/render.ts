/** A resolved recipe -> the files of its rendered scripts (pure; an adapter writes them). */
import type { ResolvedRecipe } from "../recipe/resolve.js";
import type { Version } from "../trl/version.js";
import { renderScript, stageFileBase } from "./script.js";
import { portableSpec, type SpecLayout } from "./spec-paths.js";
import { stageSpec, type StageSpec } from "./stage-spec.js";

export interface RenderedStage {
  id: string;
  trainer: string;
  script: { name: string; text: string };
  spec: { name: string; value: StageSpec };
}

/** With a layout, the spec's paths inside the owned folder are relative (the folder can move). */
export function renderRecipe(
  resolved: ResolvedRecipe,
  trl: Version,
  trellisVersion: string,
  layout?: SpecLayout,
): RenderedStage[] {
  return resolved.stages.map((stage) => {
    const base = stageFileBase(stage.index, stage.stage.id);
    const specName = `${base}.json`;
    const spec = stageSpec(resolved, stage, trellisVersion);
    return {
      id: stage.stage.id,
      trainer: stage.stage.trainer,
      script: {
        name: `${base}.py`,
        text: renderScript({
          trainer: stage.stage.trainer,
          stageId: stage.stage.id,
          specFile: specName,
          trl,
          generations: resolved.recipe.generations !== undefined,
        }),
      },
      spec: { name: specName, value: layout ? portableSpec(spec, layout) : spec },
    };
  });
}
