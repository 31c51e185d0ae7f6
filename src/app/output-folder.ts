/**
 * A recipe's output_dir must be empty or this run's own (src/core/recipe/check.ts): checked with
 * the recipe (`trellis check`, and `trellis run` before anything starts), then claimed by the run.
 */
import path from "node:path";
import { outputFolderProblem, type OutputFolderState, type OutputOwner } from "../core/recipe/check.js";
import { RecipeError } from "../core/recipe/errors.js";
import { locate, type ParsedRecipe } from "../core/recipe/parse.js";
import type { ResolvedRecipe } from "../core/recipe/resolve.js";
import { claimOutputFolder, inspectOutputFolder } from "../adapters/output-owner.js";
import { removeRunDir } from "../adapters/run-dir.js";

/** Throws a RecipeError at output_dir when the folder is another run's or holds a foreign model. */
export function checkOutputFolder(parsed: ParsedRecipe, resolved: ResolvedRecipe, shownFile: string): void {
  if (!parsed.recipe.output_dir) return; // the run directory's own output/: always new
  refuseIf(parsed, shownFile, resolved.outputDir, inspectOutputFolder(resolved.outputDir));
}

/** Claims the output folder for a new run, or removes the run's folder and throws as the check does. */
export function claimOutputFolderFor(
  parsed: ParsedRecipe,
  shownFile: string,
  outputDir: string,
  run: { id: string; dir: string },
): void {
  const refused = claimOutputFolder(outputDir, { run_id: run.id, run_dir: run.dir, since: new Date().toISOString() });
  if (!refused) return;
  removeRunDir(run.dir); // nothing ran in it
  refuseIf(parsed, shownFile, outputDir, refused);
}

function refuseIf(parsed: ParsedRecipe, shownFile: string, dir: string, state: OutputFolderState): void {
  const finding = outputFolderProblem(dir, state, resumeCommand);
  if (finding) throw new RecipeError([locate(finding.path, finding.message, shownFile, parsed.sourceMap)]);
}

/** The command that resumes the owner, with --runs-dir when its runs folder is not the default one. */
function resumeCommand(owner: OutputOwner): string {
  const runs = path.dirname(owner.run_dir);
  const usual = path.resolve(process.env.TRELLIS_RUNS_DIR ?? "runs"); // as the CLI's --runs-dir default
  return `trellis resume ${owner.run_id}${runs === usual ? "" : ` --runs-dir ${runs}`}`;
}
