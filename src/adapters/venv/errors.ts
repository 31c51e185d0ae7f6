/** Exit code for a missing or broken Python environment: distinct from 1 (a failed run) and 2 (bad usage). */
import { TrellisError } from "../../core/errors.js";
export const ENVIRONMENT_EXIT_CODE = 3;
/** The shell's convention for "stopped by Ctrl-C" (128 + SIGINT). */
export const CANCELED_EXIT_CODE = 130;

interface EnvironmentErrorFacts {
  exitCode?: number;
  cause?: unknown;
  /** Exit code of the command that failed (pip, python -m venv), when one ran. */
  commandExitCode?: number;
  isCanceled?: boolean;
  logPath?: string;
}

/** Setting up or inspecting the managed Python environment failed; the message is meant for the user as is. */
export class EnvironmentError extends TrellisError {
  override readonly exitCode: number;
  override readonly cause: unknown;
  readonly commandExitCode: number | undefined;
  readonly isCanceled: boolean;
  readonly logPath: string | undefined;

  constructor(message: string, facts: EnvironmentErrorFacts = {}) {
    super(message, { cause: facts.cause });
    this.name = "EnvironmentError";
    this.isCanceled = facts.isCanceled ?? false;
    this.exitCode = facts.exitCode ?? (this.isCanceled ? CANCELED_EXIT_CODE : ENVIRONMENT_EXIT_CODE);
    this.cause = facts.cause;
    this.commandExitCode = facts.commandExitCode;
    this.logPath = facts.logPath;
  }
}
