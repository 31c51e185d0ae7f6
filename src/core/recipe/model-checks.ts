/**
 * Checks that need facts about the model but not its weights: LoRA target modules against the
 * model's real module names, a chat template for chat data, and room on disk for what the run
 * will save. Pure: the facts come from an adapter (safetensors headers, tokenizer config).
 */
import type { Finding } from "./errors.js";
import type { Recipe, Stage, TinyModel } from "./schema.js";
import { didYouMean } from "./suggest.js";
import type { z } from "zod";

export interface ModelFacts {
  /** The folder the facts were read from, or "tiny" for a model trellis builds. */
  where: string;
  /** Names of modules with a 2-D weight (linear layers, embeddings), or null when unknown. */
  modules: string[] | null;
  chatTemplate: boolean | null;
  weightBytes: number | null;
  parameters: number | null;
}

const TINY_ATTENTION = ["q_proj", "k_proj", "v_proj", "o_proj"];
const TINY_MLP = ["gate_proj", "up_proj", "down_proj"];
/** float32: tiny models are built and trained in full precision. */
const TINY_BYTES_PER_PARAM = 4;
/** AdamW keeps two float32 moments per trainable parameter. */
const OPTIMIZER_BYTES_PER_PARAM = 8;
/** An adapter is a small fraction of its base; 2% bounds rank 64 on 7B models from above. */
const ADAPTER_FRACTION = 0.02;
/** trellis sets save_total_limit to 2 when the recipe does not (stage-spec.ts). */
const DEFAULT_KEPT = 2;

/** The facts of a tiny model from its spec: a LlamaForCausalLM with tied embeddings. */
export function tinyModelFacts(spec: z.infer<typeof TinyModel>): ModelFacts {
  const h = spec.hidden_size;
  const layers = Array.from({ length: spec.num_layers }, (_, i) => i);
  const modules = [
    "model.embed_tokens",
    ...layers.flatMap((i) => [
      ...TINY_ATTENTION.map((m) => `model.layers.${i}.self_attn.${m}`),
      ...TINY_MLP.map((m) => `model.layers.${i}.mlp.${m}`),
    ]),
    "lm_head",
  ];
  const perLayer = 4 * h * h + 3 * h * (2 * h) + 2 * h;
  const parameters = spec.num_layers * perLayer + spec.vocab_size * h + h;
  return { where: "tiny", modules, chatTemplate: true, weightBytes: parameters * TINY_BYTES_PER_PARAM, parameters };
}

/** A LoRA target that matches no module is adapted nowhere, silently: an error, with what there is. */
export function checkTargetModules(stage: Stage, index: number, facts: ModelFacts): Finding[] {
  const targets = stage.peft?.target_modules;
  if (!Array.isArray(targets) || !facts.modules) return [];
  // With tied embeddings the output layer has no weight of its own in the file; it is a module all the same.
  const modules = facts.modules.includes("lm_head") ? facts.modules : [...facts.modules, "lm_head"];
  const linear = [...new Set(modules.filter((m) => !/embed|wte|wpe/.test(m)).map((m) => m.split(".").at(-1)!))];
  return targets.flatMap((target, j) =>
    modules.some((m) => m === target || m.endsWith(`.${target}`))
      ? []
      : [
          {
            path: ["stages", index, "peft", "target_modules", j],
            message: `no module of the model is named '${target}'${didYouMean(target, linear)} (linear modules: ${linear.join(", ")})`,
          },
        ],
  );
}

/** Chat data needs a chat template: the tokenizer's own or model.chat_template. */
export function checkChatTemplate(recipe: Recipe, conversationalFiles: string[], facts: ModelFacts): Finding[] {
  if (!conversationalFiles.length || recipe.model.chat_template || facts.chatTemplate !== false) return [];
  return [
    {
      path: ["model"],
      message: `${conversationalFiles.join(", ")} holds chat messages, but the tokenizer in ${facts.where} has no chat template: set model.chat_template to a Jinja template, or give the data as plain text`,
    },
  ];
}

interface DiskNeed {
  bytes: number;
  /** One line each stage, for the message. */
  parts: string[];
}

/** What the run's stages will save at most: each final model plus the checkpoints kept. */
export function diskNeed(recipe: Recipe, facts: ModelFacts): DiskNeed | null {
  if (facts.weightBytes === null || facts.parameters === null) return null;
  const parts: string[] = [];
  let bytes = 0;
  for (const stage of recipe.stages) {
    const adapter = stage.peft !== undefined;
    const model = adapter ? facts.weightBytes * ADAPTER_FRACTION : facts.weightBytes;
    const trainable = adapter ? facts.parameters * ADAPTER_FRACTION : facts.parameters;
    const checkpoint = model + trainable * OPTIMIZER_BYTES_PER_PARAM;
    const kept = checkpointsKept(stage, recipe.checkpoint_every_minutes);
    // merge: true also saves the adapter merged into a full model, about the checkpoint's size.
    const merged = adapter && stage.merge === true ? facts.weightBytes : 0;
    bytes += model + kept * checkpoint + merged;
    parts.push(
      `${stage.id}: ${adapter ? "adapter" : "model"} ${formatBytes(model)}${kept ? ` + ${kept} checkpoint${kept > 1 ? "s" : ""} of ${formatBytes(checkpoint)}` : ""}${merged ? ` + merged model ${formatBytes(merged)}` : ""}`,
    );
  }
  return { bytes, parts };
}

function checkpointsKept(stage: Stage, everyMinutes: number): number {
  const strategy = stage.args.save_strategy;
  if (strategy === "no" && everyMinutes === 0) return 0;
  const limit = stage.args.save_total_limit;
  return typeof limit === "number" && limit >= 0 ? limit : DEFAULT_KEPT;
}

export function checkDiskSpace(need: DiskNeed, free: number, where: string): Finding[] {
  if (need.bytes <= free) return [];
  return [
    {
      path: ["stages"],
      message: `not enough room for what the run saves: about ${formatBytes(need.bytes)} (${need.parts.join("; ")}) under ${where}, which has ${formatBytes(free)} free; free some space, set output_dir on a larger disk, or lower save_total_limit`,
    },
  ];
}

export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}
