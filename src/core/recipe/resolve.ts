/**
 * A validated recipe made concrete for one run: absolute paths, file formats, the stage order,
 * and each stage's output and starting point. Pure: paths are computed, never touched.
 */
import path from "pathe";
import { orderStages } from "./graph.js";
import type { Data, Recipe, Source, Stage } from "./schema.js";
import type { Convert } from "../data/convert.js";

export type FileFormat = "json" | "csv" | "parquet";

type ResolvedSource =
  | { files: string[]; format: FileFormat }
  | { hub: string; split: string; config: string | null; revision: string | null }
  | { fraction: number; seed: number };

interface ResolvedData {
  train: ResolvedSource;
  eval: ResolvedSource | null;
  columns: Record<string, string>;
  to_messages: boolean;
  system_prompt: string | null;
  separator: string;
  min_score_margin: number | null;
  /** Another tool's row layout, converted to the standard columns as rows are read. */
  convert: Convert | null;
}

export interface ResolvedStage {
  stage: Stage;
  /** 1-based position in run order. */
  index: number;
  outputDir: string;
  /** The output folder of the stage this one starts from. */
  fromDir: string | null;
  data: ResolvedData;
}

export interface ResolvedRecipe {
  recipe: Recipe;
  recipeDir: string;
  outputDir: string;
  stages: ResolvedStage[];
}

const EXTENSIONS: Record<string, FileFormat> = {
  ".jsonl": "json",
  ".json": "json",
  ".csv": "csv",
  ".parquet": "parquet",
};

export function formatOf(file: string): FileFormat | undefined {
  return EXTENSIONS[path.extname(file).toLowerCase()];
}

/** `defaultOutputDir` is used when the recipe sets no output_dir (the run directory's output/). */
export function resolveRecipe(recipe: Recipe, recipeFile: string, defaultOutputDir: string): ResolvedRecipe {
  const recipeDir = path.dirname(path.resolve(recipeFile));
  const outputDir = recipe.output_dir ? path.resolve(recipeDir, recipe.output_dir) : path.resolve(defaultOutputDir);
  const order = orderStages(recipe.stages);
  if (!order.ok) throw new Error(`stage cycle: ${order.cycle.join(" -> ")}`); // checkRecipe reports it first
  const outputOf = (id: string) => path.join(outputDir, id);
  const stages = order.order.map((i, position) => {
    const stage = recipe.stages[i]!;
    return {
      stage,
      index: position + 1,
      outputDir: outputOf(stage.id),
      fromDir: stage.from ? outputOf(stage.from) : null,
      data: resolveData(stage.data ?? recipe.data, recipeDir, recipe.seed),
    };
  });
  return { recipe, recipeDir, outputDir, stages };
}

function resolveData(data: Data, recipeDir: string, seed: number): ResolvedData {
  return {
    train: resolveSource(data.train, recipeDir, seed),
    eval: data.eval ? resolveSource(data.eval, recipeDir, seed) : null,
    // Parsed from a record of strings: no key holds undefined.
    columns: { ...data.columns } as Record<string, string>,
    to_messages: data.to_messages,
    system_prompt: data.system_prompt ?? null,
    separator: data.separator,
    min_score_margin: data.min_score_margin ?? null,
    convert: data.convert ?? null,
  };
}

function resolveSource(source: Source, recipeDir: string, seed: number): ResolvedSource {
  if (source.hub !== undefined) {
    return {
      hub: source.hub,
      split: source.split ?? "train",
      config: source.config ?? null,
      revision: source.revision ?? null,
    };
  }
  if (source.fraction !== undefined) return { fraction: source.fraction, seed: source.seed ?? seed };
  const paths = Array.isArray(source.path) ? source.path : [source.path!];
  const files = paths.map((p) => path.resolve(recipeDir, p));
  return { files, format: source.format ?? formatOf(files[0]!) ?? "json" };
}

/** Every local data file a recipe reads, with the trainer that needs it. */
export function localDataFiles(
  resolved: ResolvedRecipe,
): Array<{ file: string; format: FileFormat; stage: ResolvedStage; role: "train" | "eval" }> {
  return resolved.stages.flatMap((s) =>
    (["train", "eval"] as const).flatMap((role) => {
      const src = s.data[role];
      return src && "files" in src ? src.files.map((file) => ({ file, format: src.format, stage: s, role })) : [];
    }),
  );
}
