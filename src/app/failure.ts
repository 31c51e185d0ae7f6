/** One line saying why a stage failed, decided from facts: the exception event, exit code, signal. */
import type { StageProcessResult } from "../adapters/stage-process.js";

export interface StageError {
  excType: string;
  message: string;
}

export function failureReason(stage: string, result: StageProcessResult, error: StageError | null): string {
  if (result.stopped) return `stage '${stage}' was stopped`;
  if (error) return `stage '${stage}' failed: ${error.excType}: ${firstLine(error.message)}`;
  if (result.signal) {
    const hint = result.signal === "SIGKILL" ? " (often the kernel's out-of-memory killer)" : "";
    return `stage '${stage}': the Python process was killed by ${result.signal}${hint}`;
  }
  const last = [...result.stderrTail].reverse().find((l) => l.trim());
  return `stage '${stage}' exited with code ${result.exitCode}${last ? `: ${firstLine(last)}` : ""}`;
}

function firstLine(text: string): string {
  const line = text.trim().split("\n", 1)[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
