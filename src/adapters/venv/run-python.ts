import { execa } from "execa";
import type { z } from "zod";
import { lowerPriority } from "../low-priority.js";
import { EnvironmentError } from "./errors.js";

/** A probe prints one small JSON object; anything longer than this is not a probe answering. */
const MAX_PROBE_OUTPUT_BYTES = 1_000_000;
/** Importing torch and initialising CUDA can take tens of seconds on a cold machine. */
const PROBE_TIMEOUT_MS = 180_000;

/**
 * Runs a Python snippet that prints one JSON object as its last stdout line, and parses it with `schema`.
 * Throws EnvironmentError when the interpreter cannot run or answers with something else.
 * `background` runs it at a low priority (src/adapters/low-priority.ts).
 */
export async function runPythonJson<S extends z.ZodType>(
  python: string,
  code: string,
  args: string[],
  schema: S,
  signal?: AbortSignal,
  opts: { background?: boolean } = {},
): Promise<z.infer<S>> {
  const child = execa(python, ["-c", code, ...args], {
    reject: false,
    maxBuffer: MAX_PROBE_OUTPUT_BYTES,
    timeout: PROBE_TIMEOUT_MS,
    env: { PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
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
