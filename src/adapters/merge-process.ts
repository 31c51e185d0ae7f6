/**
 * Runs `python -m trellis_runtime.merge <spec>` in a run's scripts folder (the helpers the run was
 * rendered with), its stderr streamed to a log file, never buffered: a 7B merge prints little but
 * takes minutes.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";

interface MergeProcessResult {
  /** False when the run's Python is gone (its venv was removed): nothing ran. */
  pythonFound: boolean;
  exitCode: number | null;
  /** The merged folder Python reported (its last stdout line, JSON), when it succeeded. */
  merged: string | null;
  /** The last line of stderr, for the one-line failure reason (the exception). */
  lastError: string | null;
}

const lastLine = (text: string) =>
  text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "")
    .at(-1) ?? null;

function mergedOf(stdout: string): string | null {
  try {
    return (JSON.parse(lastLine(stdout) ?? "") as { merged?: string }).merged ?? null;
  } catch {
    return null;
  }
}

function lastErrorOf(logFile: string, fallback: string | undefined): string | null {
  try {
    return lastLine(readFileSync(logFile, "utf8"));
  } catch {
    return fallback ?? null;
  }
}

export async function runMergeProcess(o: {
  python: string;
  scriptsDir: string;
  spec: string;
  out?: string;
  logFile: string;
  signal?: AbortSignal;
}): Promise<MergeProcessResult> {
  if (!existsSync(o.python)) return { pythonFound: false, exitCode: null, merged: null, lastError: null };
  mkdirSync(path.dirname(o.logFile), { recursive: true });
  const args = ["-m", "trellis_runtime.merge", o.spec, ...(o.out ? ["--out", o.out] : [])];
  const result = await execa(o.python, args, {
    cwd: o.scriptsDir,
    reject: false,
    stdin: "ignore",
    stdout: "pipe",
    stderr: { file: o.logFile },
    env: { PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
    ...(o.signal ? { cancelSignal: o.signal } : {}),
  });
  return {
    pythonFound: true,
    exitCode: result.exitCode ?? null,
    merged: mergedOf(String(result.stdout)),
    lastError: lastErrorOf(o.logFile, result.shortMessage),
  };
}
