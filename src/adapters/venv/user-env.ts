/**
 * The user's own Python environment (`trellis run --env PATH`), taken as it is: trellis reads
 * which packages it has, so that the stages are rendered for its TRL and transformers, and
 * installs nothing into it.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { unsupportedTrl } from "../../core/trl/compat.js";
import { parseVersion, type Version } from "../../core/trl/version.js";
import { EnvironmentError } from "./errors.js";
import { exists, venvPython } from "./paths.js";
import { runPythonJson } from "./run-python.js";

/** What every stage imports; an environment without one of them cannot run a stage. */
const REQUIRED_PACKAGES = ["torch", "transformers", "trl", "peft", "datasets", "accelerate"] as const;

interface UserEnvironment {
  /** The environment's folder (`sys.prefix`). */
  dir: string;
  python: string;
  pythonVersion: string;
  /** Installed versions of REQUIRED_PACKAGES (and any `also` asked for), from package metadata. */
  packages: Record<string, string>;
  trl: Version;
}

// Metadata only (python/trellis_runtime/probes/versions.py without --torch): importing torch
// takes seconds and is the stage's business.
const Answer = z.object({
  prefix: z.string(),
  version: z.string(),
  packages: z.record(z.string(), z.string().nullable()),
});

const ADVICE = "install it there, or leave out --env (and TRELLIS_ENV) to let trellis manage an environment";

/**
 * Finds the interpreter of `given` (an environment's folder, or its python), reads its package
 * versions and refuses, with one line, an environment a stage cannot run in.
 * `also` names more packages to read (the extras' packages a recipe asks for).
 */
export async function inspectUserEnvironment(
  given: string,
  also: readonly string[] = [],
  signal?: AbortSignal,
): Promise<UserEnvironment> {
  const python = await interpreterOf(given);
  const names = [...new Set([...REQUIRED_PACKAGES, ...also])];
  const answer = await runPythonJson(python, "versions", [JSON.stringify(names)], Answer, signal).catch(
    (error: unknown) => {
      if (error instanceof EnvironmentError && !error.isCanceled)
        throw new EnvironmentError(`--env ${given}: ${error.message}`, { cause: error });
      throw error;
    },
  );
  const missing = names.filter((n) => !answer.packages[n]);
  if (missing.length) {
    throw new EnvironmentError(
      `the environment ${answer.prefix} has no ${missing.join(", ")} (a stage needs ${REQUIRED_PACKAGES.join(", ")}${also.length ? `, and the recipe's extras ${also.join(", ")}` : ""}): ${ADVICE}`,
    );
  }
  const packages = Object.fromEntries(names.map((n) => [n, answer.packages[n]!]));
  const trlText = packages.trl!;
  const trl = parseVersion(trlText);
  if (!trl)
    throw new EnvironmentError(
      `the environment ${answer.prefix} has trl ${trlText}, which is not a version trellis can read`,
    );
  const outside = unsupportedTrl(trl);
  if (outside)
    throw new EnvironmentError(
      `the environment ${answer.prefix} has trl ${trlText}: ${outside.replace(/^TRL \S+ /, "it ")}; upgrade trl there, or leave out --env to let trellis manage an environment`,
    );
  return { dir: answer.prefix, python, pythonVersion: answer.version, packages, trl };
}

/** `given` itself when it is a file (an interpreter), else the python of the environment folder it names. */
async function interpreterOf(given: string): Promise<string> {
  const full = path.resolve(given);
  const info = await stat(full).catch(() => undefined);
  if (!info)
    throw new EnvironmentError(`--env ${given}: no such file or folder (give an environment's folder or its python)`);
  if (info.isFile()) return full;
  for (const candidate of [venvPython(full), path.join(full, "bin", "python3"), path.join(full, "python.exe")]) {
    if (await exists(candidate)) return candidate;
  }
  throw new EnvironmentError(
    `--env ${given}: the folder has no bin/python (give an environment's folder or its python)`,
  );
}
