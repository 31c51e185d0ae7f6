/**
 * One line saying why a stage failed and what to change, decided from facts: the exception
 * event (type, causes, errno), exit code, signal and the last loss (src/core/diagnose).
 */
import type { StageProcessResult } from "../adapters/stage-process.js";
import { diagnose, isOffline, type Diagnosis } from "../core/diagnose/diagnose.js";

/** The stage's first `error` event. */
export interface StageError {
  excType: string;
  message: string;
  errno?: number;
  causeTypes?: string[];
}

/** Facts about a stage the process result does not hold. */
export interface StageContext {
  /** The last training loss the stage reported. */
  lastLoss?: number;
  /** The environment the stage ran in (offline variables); the supervisor's own by default. */
  env?: Record<string, string | undefined>;
}

/** Where a launched stage's failure began: the first rank to fail, as torchrun's agent decides it. */
export interface FailedRank {
  rank: number | null;
  worldSize: number;
  host: string | null;
  localRank: number | null;
}

/** Longest exception message shown in the one-line reason; the stage's stderr log has it all. */
const MAX_SHOWN_CHARS = 300;

/** Why a stage failed, with the fix; undefined when it did not fail or no rule knows the failure. */
export function diagnoseStage(
  stage: { id: string; trainer: string },
  result: StageProcessResult,
  error: StageError | null,
  context: StageContext = {},
): Diagnosis | undefined {
  if (result.stopped || (result.exitCode === 0 && !result.signal)) return undefined;
  return diagnose({
    excType: error?.excType,
    message: error?.message,
    errno: error?.errno,
    causeTypes: error?.causeTypes,
    exitCode: result.exitCode,
    signal: result.signal,
    stderrTail: result.stderrTail,
    lastLoss: context.lastLoss,
    offline: isOffline(context.env ?? process.env),
    trainer: stage.trainer,
  });
}

/**
 * The reason a stage failed, on one line: the exception (the fact), then the diagnosis (the
 * cause and the fix) when there is one. Without `diagnosis`, it is worked out here. A launched
 * stage's reason names the rank where the failure began.
 */
export function failureReason(
  stage: string,
  result: StageProcessResult,
  error: StageError | null,
  diagnosis: Diagnosis | null | undefined = diagnoseStage({ id: stage, trainer: "" }, result, error),
  rank?: FailedRank,
): string {
  if (result.stopped) return `stage '${stage}' was stopped`;
  const advice = diagnosis ? ` — ${diagnosis.summary}. Fix: ${diagnosis.fix}` : "";
  const failed = `stage '${stage}' failed${rank ? ` on ${rankText(rank)}` : ""}:`;
  if (error) return `${failed} ${error.excType}: ${firstLine(error.message)}${advice}`;
  if (result.signal) {
    // The diagnosis of a signal names it ("killed by SIGKILL"): said once.
    if (diagnosis) return `${failed} ${diagnosis.summary}. Fix: ${diagnosis.fix}`;
    return `stage '${stage}': the Python process was killed by ${result.signal}`;
  }
  const last = [...result.stderrTail].reverse().find((l) => l.trim());
  return `stage '${stage}' exited with code ${result.exitCode}${last ? `: ${firstLine(last)}` : ""}${advice}`;
}

function rankText(r: FailedRank): string {
  const where = r.host ? ` (${r.host}, local rank ${r.localRank ?? "?"})` : "";
  return `rank ${r.rank ?? "?"} of ${r.worldSize}${where}`;
}

function firstLine(text: string): string {
  const line = text.trim().split("\n", 1)[0] ?? "";
  return line.length > MAX_SHOWN_CHARS ? `${line.slice(0, MAX_SHOWN_CHARS - 3)}...` : line;
}
