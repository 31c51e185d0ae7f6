/** The keys a recipe mapping may hold at a given path, for "did you mean" suggestions. */
import type { FieldPath } from "./errors.js";
import { Generations } from "./generations.js";
import { Data, Lora, Model, Recipe, Stage, STANDARD_COLUMNS, TinyModel, sourceFields } from "./schema.js";

const SOURCE = Object.keys(sourceFields);
const EVAL_SOURCE = [...SOURCE, "fraction", "seed"];

const TABLE: Record<string, string[]> = {
  "": Object.keys(Recipe.shape),
  model: Object.keys(Model.shape),
  "model.tiny": Object.keys(TinyModel.shape),
  data: Object.keys(Data.shape),
  "data.train": SOURCE,
  "data.eval": EVAL_SOURCE,
  "data.columns": [...STANDARD_COLUMNS],
  preference_eval: ["max_pairs"],
  generations: Object.keys(Generations.shape),
  stage: Object.keys(Stage.shape),
  "stage.peft": Object.keys(Lora.shape),
};

export function knownKeysAt(path: FieldPath): string[] {
  // Stage-level data looks like recipe-level data: ["stages", i, "data"] -> "data".
  const inStage = path[0] === "stages" && typeof path[1] === "number";
  const rest = inStage ? path.slice(2) : path;
  const key = rest.map(String).join(".");
  if (inStage && !key.startsWith("data")) return TABLE[key ? `stage.${key}` : "stage"] ?? [];
  return TABLE[key] ?? [];
}
