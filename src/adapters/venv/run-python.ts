import path from "node:path";
import { execa } from "execa";
import type { z } from "zod";
import { lowerPriority } from "../low-priority.js";
import { PYTHON_DIR } from "../package-files.js";
import { EnvironmentError } from "./errors.js";

/** A probe prints one small JSON object; anything longer than this is not a probe answering. */
const MAX_PROBE_OUTPUT_BYTES = 1_000_000;
/** Importing torch and initialising CUDA can take tens of seconds on a cold machine. */
const PROBE_TIMEOUT_MS = 180_000;

/** The probes: python/trellis_runtime/probes/<name>.py. */
type ProbeName = "base_python" | "packages" | "plan_facts" | "sites" | "trl_profile" | "versions";

/** A probe's source file (its text keys caches of its answers). */
export const probeFile = (name: ProbeName) => path.join(PYTHON_DIR, "trellis_runtime", "probes", `${name}.py`);

/**
 * How to run probe `name` in `python`: `python -m trellis_runtime.probes.<name>` from trellis's
 * python/ folder, which is also put first on PYTHONPATH. Most probes run in an interpreter
 * where trellis_runtime is not installed (a base Python, a user's `--env`); and the working
 * directory is trellis's own so that no trellis_runtime folder where the user stands (a run's
 * scripts/) is imported instead. A relative interpreter path is made absolute for that reason.
 */
export function probeCommand(
  python: string,
  name: ProbeName,
  args: string[],
): { file: string; args: string[]; cwd: string; env: Record<string, string> } {
  const pythonPath = [PYTHON_DIR, process.env.PYTHONPATH].filter((p) => p).join(path.delimiter);
  return {
    file: python.includes(path.sep) ? path.resolve(python) : python,
    args: ["-m", `trellis_runtime.probes.${name}`, ...args],
    cwd: PYTHON_DIR,
    env: { PYTHONPATH: pythonPath, PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
  };
}

/**
 * Runs probe `name` (python/trellis_runtime/probes/), which prints one JSON object as its last
 * stdout line, and parses it with `schema`. Throws EnvironmentError when the interpreter cannot
 * run or answers with something else. `background` runs it at a low priority
 * (src/adapters/low-priority.ts).
 */
export async function runPythonJson<S extends z.ZodType>(
  python: string,
  name: ProbeName,
  args: string[],
  schema: S,
  signal?: AbortSignal,
  opts: { background?: boolean } = {},
): Promise<z.infer<S>> {
  const probe = probeCommand(python, name, args);
  const child = execa(probe.file, probe.args, {
    reject: false,
    maxBuffer: MAX_PROBE_OUTPUT_BYTES,
    timeout: PROBE_TIMEOUT_MS,
    cwd: probe.cwd,
    env: probe.env,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  if (opts.background) lowerPriority(child.pid);
  const result = await child;
  if (result.isCanceled) {
    throw new EnvironmentError(`stopped while running ${python}`, { isCanceled: true, cause: result });
  }
  if (result.failed) {
    const detail = lastLine(result.stderr) ?? result.shortMessage;
    throw new EnvironmentError(`${python} failed: ${detail}`, { cause: result, commandExitCode: result.exitCode });
  }
  const line = lastLine(result.stdout);
  try {
    return schema.parse(JSON.parse(line ?? ""));
  } catch (error) {
    throw new EnvironmentError(`${python} gave an unexpected answer: ${line ?? "(nothing)"}`, { cause: error });
  }
}

function lastLine(text: string): string | undefined {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  return lines.at(-1);
}
