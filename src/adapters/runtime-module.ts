/**
 * Runs a trellis_runtime module that takes a JSON request on stdin and answers one JSON object on
 * stdout (reward_score, benchmarks): the request in, the answer parsed, and a failure turned into
 * the one message the module printed ({"error": ...}) or, failing that, the last line of stderr.
 */
import { execa } from "execa";
import { PYTHON_DIR } from "./package-files.js";

class RuntimeModuleError extends Error {}

export async function runRuntimeModule(
  python: string,
  module: string,
  request: unknown,
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<Record<string, unknown>> {
  const result = await execa(python, ["-m", `trellis_runtime.${module}`], {
    input: JSON.stringify(request),
    env: { ...opts.env, PYTHONPATH: [PYTHON_DIR, process.env.PYTHONPATH].filter(Boolean).join(":") },
    cwd: opts.cwd,
    reject: false,
    buffer: true,
    stripFinalNewline: true,
  });
  const lastJson = String(result.stdout ?? "")
    .split("\n")
    .reverse()
    .find((l) => l.trim().startsWith("{"));
  let answer: Record<string, unknown> | null;
  try {
    answer = lastJson ? (JSON.parse(lastJson) as Record<string, unknown>) : null;
  } catch {
    answer = null;
  }
  if (answer && typeof answer.error === "string") throw new RuntimeModuleError(answer.error);
  if (result.exitCode !== 0 || !answer) {
    const tail = String(result.stderr ?? "")
      .trim()
      .split("\n")
      .at(-1);
    throw new RuntimeModuleError(
      `trellis_runtime.${module} failed (exit ${result.exitCode ?? result.signal}): ${tail || "no output"}`,
    );
  }
  return answer;
}
