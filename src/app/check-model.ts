/**
 * Model-dependent checks before any weights load: LoRA targets, a chat template for chat data,
 * and free disk space for what the run saves. The facts come from safetensors headers and the
 * tokenizer config (a local folder or the Hugging Face cache); a Hub model not yet downloaded
 * is checked by the stage itself. `check`, `run` and `compare` also need the model loadable here
 * (checkModelAvailable); `render` and `plan` do not, so that scripts can be made for another machine.
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
import { hubCacheDir, hubEndpoint, hubOffline, hubUnreachable } from "../adapters/hub.js";
import { modelFolder, readModelFacts } from "../adapters/model-files.js";
import type { DataFileReport } from "./check-data.js";
import type { LoadedRecipe } from "./load-recipe.js";

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

/**
 * A Hub id: `org/name`, or a legacy one-word id (`gpt2`); no part starts with `.` or `-` (so
 * `./model` and `../model` are folders). Any other name is a local folder.
 */
const HUB_ID = /^(?![.-])[\w.-]+(\/(?![.-])[\w.-]+)?$/;

/**
 * The recipe's model can be loaded on this machine: a folder that exists, a Hub model in the
 * Hugging Face cache, or one the Hub can send now. Otherwise one error at model.name, within
 * seconds, where the stage would have retried for a minute and then blamed the name.
 */
export async function checkModelAvailable(
  loaded: LoadedRecipe,
  shownFile = loaded.file,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const { model } = loaded.resolved.recipe;
  if (!model.name || loaded.model.facts) return; // a tiny model, or found in a folder or the cache
  const problem = await modelUnavailable(model.name, loaded.resolved.recipeDir, env);
  if (problem) throw new RecipeError([locate(["model", "name"], problem, shownFile, loaded.sourceMap)]);
}

export async function modelUnavailable(
  name: string,
  recipeDir: string,
  env: NodeJS.ProcessEnv,
): Promise<string | null> {
  if (!HUB_ID.test(name))
    return `no folder '${name}' here (looked from ${process.cwd()} and from the recipe's folder ${recipeDir}): name a folder that holds the model, or a Hub model as org/name`;
  const cache = hubCacheDir(env);
  const waysOut =
    `Download it once where the Hub can be reached (\`hf download ${name}\` fills the cache in HF_HOME; ` +
    "with the model cached, HF_HUB_OFFLINE=1 runs without any network), or copy the model folder to this " +
    "machine and name it in the recipe: model.name: /path/to/folder";
  if (hubOffline(env))
    return `${name} is not in the Hugging Face cache (${cache}) and HF_HUB_OFFLINE is set, so nothing is downloaded. ${waysOut}`;
  const why = await hubUnreachable(env);
  if (why)
    return `${name} is not in the Hugging Face cache (${cache}) and the Hugging Face Hub (${hubEndpoint(env)}) cannot be reached from this machine: ${why}. ${waysOut}`;
  return null;
}
