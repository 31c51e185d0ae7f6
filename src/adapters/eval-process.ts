/**
 * Runs `python -m trellis_runtime.evaluate <spec.json>` (answers, then verdicts) with the
 * repository's runtime on PYTHONPATH, its stderr streamed to a log file, its progress lines
 * (JSON on stdout) handed to `progress`. Exit 3 is a JudgeError: its one line is the reason.
 */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { PYTHON_DIR } from "./package-files.js";

interface EvalProcessResult {
  exitCode: number | null;
  /** The last line of stderr: the JudgeError's message, or the exception. */
  lastError: string | null;
}

export async function runEvalProcess(o: {
  python: string;
  spec: string;
  logFile: string;
  progress: (line: Record<string, unknown>) => void;
  signal?: AbortSignal;
}): Promise<EvalProcessResult> {
  mkdirSync(path.dirname(o.logFile), { recursive: true });
  const child = execa(o.python, ["-m", "trellis_runtime.evaluate", o.spec], {
    reject: false,
    stdin: "ignore",
    stdout: "pipe",
    stderr: { file: o.logFile },
    buffer: false,
    env: {
      PYTHONPATH: [PYTHON_DIR, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
      PYTHONUNBUFFERED: "1",
      PYTHONDONTWRITEBYTECODE: "1",
      TOKENIZERS_PARALLELISM: "false",
    },
    ...(o.signal ? { cancelSignal: o.signal } : {}),
  });
  let pending = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      try {
        o.progress(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a progress line (a library printing to stdout): ignored
      }
    }
  });
  const result = await child;
  let lastError: string | null;
  try {
    lastError =
      readFileSync(o.logFile, "utf8")
        .split(/\r?\n/)
        .filter((l) => l.trim())
        .at(-1) ?? null;
  } catch {
    lastError = result.shortMessage ?? null;
  }
  return { exitCode: result.exitCode ?? null, lastError };
}
