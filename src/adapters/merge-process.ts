/**
 * Runs `python -m trellis_runtime.merge <spec>` in a run's scripts folder (the helpers the run was
 * rendered with), its output streamed to a log file, never buffered: a 7B merge prints little but
 * takes minutes.
 */
import { readFileSync } from "node:fs";
import { execa } from "execa";

export interface MergeProcessResult {
  exitCode: number | null;
  /** The merged folder Python reported (its last stdout line, JSON), when it succeeded. */
  merged: string | null;
  /** The last line of stderr, for the one-line failure reason (the exception). */
  lastError: string | null;
}

export async function runMergeProcess(o: { python: string; scriptsDir: string; spec: string; out?: string; logFile: string; signal?: AbortSignal }): Promise<MergeProcessResult> {
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
  const last = (text: string) => text.split(/\r?\n/).filter((l) => l.trim() !== "").at(-1) ?? null;
  let merged: string | null = null;
  try {
    merged = (JSON.parse(last(String(result.stdout)) ?? "") as { merged?: string }).merged ?? null;
  } catch {
    merged = null;
  }
  let lastError: string | null = null;
  try {
    lastError = last(readFileSync(o.logFile, "utf8"));
  } catch {
    lastError = result.shortMessage ?? null;
  }
  return { exitCode: result.exitCode ?? null, merged, lastError };
}
