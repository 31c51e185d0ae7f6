/**
 * Model-dependent checks before any weights load: LoRA targets, a chat template for chat data,
 * and free disk space for what the run saves. The facts come from safetensors headers and the
 * tokenizer config (a local folder or the Hugging Face cache); a Hub model not yet downloaded
 * is checked by the stage itself.
 */
import { isConversational } from "../core/data/shape.js";
import { RecipeError } from "../core/recipe/errors.js";
import {
  checkChatTemplate,
  checkDiskSpace,
  checkTargetModules,
  diskNeed,
  tinyModelFacts,
  type ModelFacts,
} from "../core/recipe/model-checks.js";
import { locate, type ParsedRecipe } from "../core/recipe/parse.js";
import type { ResolvedRecipe } from "../core/recipe/resolve.js";
import { freeBytes } from "../adapters/disk.js";
import { modelFolder, readModelFacts } from "../adapters/model-files.js";
import type { DataFileReport } from "./check-data.js";

export interface ModelReport {
  /** Where the facts came from, or null when the model is not on this machine yet. */
  facts: ModelFacts | null;
  /** Estimated bytes the run saves, and the free bytes where it writes. */
  disk: { need: number; free: number; where: string } | null;
}

export async function checkModel(
  parsed: ParsedRecipe,
  resolved: ResolvedRecipe,
  data: DataFileReport[],
  shownFile: string,
): Promise<ModelReport> {
  const { recipe } = parsed;
  const facts = await modelFacts(resolved);
  if (!facts) return { facts: null, disk: null };
  const chatFiles = data
    .filter((d) => d.shape && isConversational(d.shape, stageData(resolved, d.stages[0]!)))
    .map((d) => d.file);
  const findings = [
    ...recipe.stages.flatMap((stage, i) => checkTargetModules(stage, i, facts)),
    ...checkChatTemplate(recipe, [...new Set(chatFiles)], facts),
  ];
  const need = diskNeed(recipe, facts);
  let disk: ModelReport["disk"] = null;
  if (need) {
    const { free, where } = await freeBytes(resolved.outputDir);
    disk = { need: need.bytes, free, where };
    findings.push(...checkDiskSpace(need, free, where));
  }
  if (findings.length)
    throw new RecipeError(findings.map((f) => locate(f.path, f.message, shownFile, parsed.sourceMap, f.key)));
  return { facts, disk };
}

async function modelFacts(resolved: ResolvedRecipe): Promise<ModelFacts | null> {
  const { model } = resolved.recipe;
  if (model.tiny) return tinyModelFacts(model.tiny);
  const folder = modelFolder(model.name!, model.revision, resolved.recipeDir);
  return folder ? readModelFacts(folder) : null;
}

function stageData(resolved: ResolvedRecipe, id: string) {
  return resolved.stages.find((s) => s.stage.id === id)!.data;
}
