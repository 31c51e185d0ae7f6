/**
 * The arms of `trellis compare`: from one comparison file (`compare:` list) or from recipe
 * files given on the command line, each loaded with every check `trellis run` makes, the
 * comparison's shared settings written into its recipe text, and the fairness rule applied.
 */
import path from "node:path";
import { parseDocument } from "yaml";
import { checkArms, type Arm } from "../core/compare/arms.js";
import { CompareSpec, defaultName, isCompareFile } from "../core/compare/spec.js";
import { RecipeError } from "../core/recipe/errors.js";
import { checkScoreSettings, type ScoreSettings } from "./compare-scores.js";
import { readYamlMapping } from "./import.js";
import { displayPath, loadRecipe, readRecipeText, type LoadedRecipe } from "./load-recipe.js";

export interface LoadedArm extends Arm {
  /** The recipe text the arm runs: the file's, with the comparison's settings set in it. */
  text: string;
  /** The recipe file, absolute (relative data paths resolve against its folder). */
  path: string;
  loaded: LoadedRecipe;
}

export interface LoadedComparison {
  name: string;
  arms: LoadedArm[];
  /** The comparison file's reward model and benchmarks (none with recipes on the command line). */
  scores: ScoreSettings;
  /** The comparison file's folder (the working directory without one). */
  specDir: string;
}

/** Where arms' outputs would go while only checking (the run directory decides later). */
const CHECK_OUTPUT = path.join("pending", "output");

export async function loadComparison(files: readonly string[], runsDir: string): Promise<LoadedComparison> {
  let recipeFiles = files.map((f) => path.resolve(f));
  let spec: CompareSpec | undefined;
  if (files.length === 1) {
    const { raw, text } = await readYamlMapping(files[0]!);
    if (isCompareFile(raw)) {
      const parsed = CompareSpec.safeParse(raw);
      if (!parsed.success) {
        throw new RecipeError(
          parsed.error.issues.map((i) => ({
            file: displayPath(files[0]!),
            path: i.path.filter((p): p is string | number => typeof p !== "symbol"),
            message: i.message,
          })),
        );
      }
      spec = parsed.data;
      await checkScoreSettings(spec, files[0]!, displayPath(files[0]!), text);
      const dir = path.dirname(path.resolve(files[0]!));
      recipeFiles = spec.compare.map((f) => path.resolve(dir, f));
    }
  }
  const arms: LoadedArm[] = [];
  for (const [i, file] of recipeFiles.entries()) {
    const original = await readRecipeText(file);
    const text = spec?.generations ? withGenerations(original, spec.generations) : original;
    const loaded = await loadRecipe(file, path.resolve(runsDir, CHECK_OUTPUT), undefined, text);
    // Shown as the comparison file lists it (relative to that file), else as given.
    const shown = spec ? spec.compare[i]! : displayPath(file);
    arms.push({
      name: loaded.recipe.name,
      file: shown,
      path: file,
      recipe: loaded.recipe,
      resolvedData: loaded.resolved.stages[0]!.data,
      text,
      loaded,
    });
  }
  checkArms(arms);
  return {
    name: spec?.name ?? defaultName(arms.map((a) => a.name)),
    arms,
    scores: { reward: spec?.reward, benchmarks: spec?.benchmarks },
    specDir: spec ? path.dirname(path.resolve(files[0]!)) : process.cwd(),
  };
}

/** The recipe text with its `generations` block set to the comparison's (comments kept). */
function withGenerations(text: string, generations: CompareSpec["generations"]): string {
  const doc = parseDocument(text);
  doc.set("generations", generations);
  return doc.toString();
}

/** Training pairs of an arm's local train files (null when any is not local). */
export function trainPairs(arm: LoadedArm): number | null {
  const train = arm.loaded.data.filter(
    (d) => d.role === "train" && d.stages.some((s) => arm.recipe.stages.find((st) => st.id === s)?.trainer !== "sft"),
  );
  const first = arm.loaded.resolved.stages[0]!.data.train;
  if (!("files" in first) || !train.length) return null;
  return train.reduce((n, d) => n + d.rows, 0);
}
