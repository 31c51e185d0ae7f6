/**
 * The JSON document a rendered script reads: every recipe value reaches Python this way, as
 * data, never spliced into code (a recipe string can never become a statement).
 */
import path from "pathe";
import { z } from "zod";
import type { ResolvedRecipe, ResolvedStage } from "../recipe/resolve.js";
import { PRESET_ARGS } from "../trl/presets.js";

/** Defaults trellis adds under the stage's args when the recipe leaves them out. */
const TRELLIS_ARG_DEFAULTS = {
  // trellis reports progress itself; tqdm bars only fill the log files.
  disable_tqdm: true,
  // Periodic checkpoints are on by default: keep the two newest, not every one.
  save_total_limit: 2,
};

export interface StageSpec {
  trellis: { version: string; recipe: string };
  stage: { id: string; index: number; count: number; trainer: string };
  seed: number;
  model: {
    name: string | null;
    tiny: (Record<string, unknown> & { data_files: string[] }) | null;
    dtype: string;
    trust_remote_code: boolean;
    revision: string | null;
    chat_template: string | null;
    /** bitsandbytes loading (python/trellis_runtime/quantization.py fills in the defaults). */
    quantization: Record<string, unknown> | null;
    attn_implementation: string | null;
  };
  from_dir: string | null;
  data: ResolvedStage["data"];
  args: Record<string, unknown>;
  peft: Record<string, unknown> | null;
  /** Also save the adapter merged into its base, in <output_dir>/merged. */
  merge: boolean;
  preference_eval: { max_pairs: number } | null;
  checkpoint_every_minutes: number;
  /** The recipe's generations block, when it has one (python/trellis_runtime/generate.py). */
  generations?: { prompts?: string[]; count: number; every_steps: number; max_new_tokens: number };
  /** Set by `trellis resume`: the checkpoint this stage continues from. */
  resume_from_checkpoint?: string;
}

/**
 * A spec file as trellis reads it back (the stage runner, `trellis resume`): the fields it reads,
 * typed, and every other field kept as written, so that a spec rewritten by resume loses nothing.
 */
export const SpecOnFile = z
  .object({
    // Every rendered spec has an output_dir; the stage runner reads only the batch fields.
    args: z.object({ output_dir: z.string().optional() }).loose(),
    resume_from_checkpoint: z.string().optional(),
  })
  .loose();
export type SpecOnFile = z.infer<typeof SpecOnFile>;

export function stageSpec(resolved: ResolvedRecipe, stage: ResolvedStage, trellisVersion: string): StageSpec {
  const { recipe } = resolved;
  const { tiny } = recipe.model;
  const firstTrain = resolved.stages[0]!.data.train;
  const tinyData =
    tiny?.data?.map((f) => path.resolve(resolved.recipeDir, f)) ?? ("files" in firstTrain ? firstTrain.files : []);
  return {
    trellis: { version: trellisVersion, recipe: recipe.name },
    stage: { id: stage.stage.id, index: stage.index, count: resolved.stages.length, trainer: stage.stage.trainer },
    seed: recipe.seed,
    model: {
      name: recipe.model.name ?? null,
      tiny: tiny ? { ...withoutData(tiny), data_files: tinyData } : null,
      dtype: recipe.model.dtype,
      trust_remote_code: recipe.model.trust_remote_code,
      revision: recipe.model.revision ?? null,
      chat_template: recipe.model.chat_template ?? null,
      quantization: recipe.model.quantization ? { ...recipe.model.quantization } : null,
      attn_implementation: recipe.model.attn_implementation ?? null,
    },
    from_dir: stage.fromDir,
    data: stage.data,
    args: {
      ...TRELLIS_ARG_DEFAULTS,
      seed: recipe.seed,
      ...deepspeedArg(resolved),
      ...PRESET_ARGS[stage.stage.trainer], // simpo: CPO with SimPO's loss and defaults
      ...stage.stage.args,
      output_dir: stage.outputDir,
    },
    peft: stage.stage.peft ? { ...stage.stage.peft, task_type: "CAUSAL_LM" } : null,
    merge: stage.stage.merge === true,
    preference_eval: recipe.preference_eval === false ? null : recipe.preference_eval,
    checkpoint_every_minutes: recipe.checkpoint_every_minutes,
    ...(recipe.generations ? { generations: recipe.generations } : {}),
  };
}

/** A DeepSpeed config in the launch block reaches the Trainer as args.deepspeed (either engine). */
function deepspeedArg(resolved: ResolvedRecipe): { deepspeed?: string } {
  const file = resolved.recipe.launch?.config_file;
  return file && /\.json$/i.test(file) ? { deepspeed: path.resolve(resolved.recipeDir, file) } : {};
}

function withoutData<T extends { data?: unknown }>(tiny: T): Omit<T, "data"> {
  const { data: _data, ...rest } = tiny;
  return rest;
}
