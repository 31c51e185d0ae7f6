/**
 * Extras for a run or a command: which optional packages the environment gets (the recipe's
 * `extras` plus `--extra` flags), and the package check that fails before anything starts when a
 * stage's args need a package that environment lacks. Decided from python/extras/ and the base
 * lock alone: no Python runs.
 */
import { extraProblem, extrasSet, type PackageUniverse } from "../core/env/extras.js";
import { RecipeError } from "../core/recipe/errors.js";
import { packageProblems } from "../core/recipe/packages.js";
import { readPackageUniverse } from "../adapters/extras-files.js";
import { parsePins, sha256 } from "../adapters/venv/requirements-lock.js";
import type { ExtraLock } from "../adapters/venv/index.js";
import { displayPath, type LoadedRecipe } from "./load-recipe.js";

/** `--extra` names that cannot be used, as recipe-style problems (exit 2) located at the flag. */
function checkExtraFlags(names: ReadonlyArray<string>, universe: PackageUniverse = readPackageUniverse()): void {
  const problems = names.flatMap((name) => {
    const problem = extraProblem(name, universe);
    return problem ? [{ file: "--extra", path: [], message: problem }] : [];
  });
  if (problems.length) throw new RecipeError(problems);
}

/**
 * The extras the recipe's run needs (recipe `extras` and `cliExtras`, as one sorted set), after
 * checking that every package its stage args need is in the base lock or one of them.
 */
export function checkRecipePackages(
  loaded: LoadedRecipe,
  cliExtras: ReadonlyArray<string> = [],
  universe: PackageUniverse = readPackageUniverse(),
): string[] {
  checkExtraFlags(cliExtras, universe);
  const problems = packageProblems(loaded, displayPath(loaded.file), universe, cliExtras);
  if (problems.length) throw new RecipeError(problems);
  return extrasSet(loaded.recipe.extras ?? [], cliExtras);
}

/** The locks of extras already checked by name. */
export function extraLocks(
  names: ReadonlyArray<string>,
  universe: PackageUniverse = readPackageUniverse(),
): ExtraLock[] {
  checkExtraFlags(names, universe);
  return extrasSet(names).map((name) => {
    const extra = universe.extras.find((e) => e.name === name)!;
    return { name, lockText: extra.lockText!, requires: extra.requires };
  });
}

/** What the run manifest records of each extra: its lock's hash and every pin. */
export interface ExtraRecord {
  name: string;
  lock_sha256: string;
  pins: Record<string, string>;
}

export function extraRecords(
  names: ReadonlyArray<string>,
  universe: PackageUniverse = readPackageUniverse(),
): ExtraRecord[] {
  return extraLocks(names, universe).map((e) => ({
    name: e.name,
    lock_sha256: sha256(e.lockText),
    pins: Object.fromEntries(parsePins(e.lockText).map((p) => [p.name, p.version])),
  }));
}
