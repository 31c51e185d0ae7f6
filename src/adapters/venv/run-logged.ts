import { createWriteStream, type WriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { execa } from "execa";
import { EnvironmentError } from "./errors.js";

/** Lines of output quoted in an error: enough to show pip's complaint, short enough to read. */
const ERROR_TAIL_LINES = 20;
/** After a cancel, pip gets this long to stop on SIGTERM before it is killed. */
const KILL_GRACE_MS = 5_000;

/** The full output of an environment build, on disk; the last lines are kept for error messages. */
export class InstallLog {
  private readonly stream: WriteStream;
  private readonly recent: string[] = [];

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: "w" });
  }

  write(line: string): void {
    this.stream.write(`${line}\n`);
    this.recent.push(line);
    if (this.recent.length > ERROR_TAIL_LINES) this.recent.shift();
  }

  tail(): string[] {
    return [...this.recent];
  }

  async close(): Promise<void> {
    this.stream.end();
    await finished(this.stream);
  }
}

interface RunLoggedOptions {
  log: InstallLog;
  /** What the user is told failed, e.g. "pip install". */
  what: string;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Runs a command with stdout and stderr streamed line by line into `log` (never buffered in memory).
 * Throws EnvironmentError quoting the last lines and pointing at the log when it fails or is cancelled.
 */
export async function runLogged(file: string, args: string[], opts: RunLoggedOptions): Promise<void> {
  opts.log.write(`$ ${[file, ...args].join(" ")}`);
  const subprocess = execa(file, args, {
    buffer: false,
    all: true,
    reject: false,
    stdin: "ignore",
    forceKillAfterDelay: KILL_GRACE_MS,
    env: { PYTHONUNBUFFERED: "1", PIP_NO_INPUT: "1", PIP_PROGRESS_BAR: "off" },
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
  });
  try {
    for await (const line of subprocess.iterable({ from: "all" })) {
      opts.log.write(line);
      opts.onLine?.(line);
    }
  } catch {
    // The stream ends abruptly when the process is killed; the result below says why.
  }
  const result = await subprocess;
  if (!result.failed) return;
  if (result.isCanceled) {
    throw new EnvironmentError(
      `${opts.what} was stopped; the environment was left unfinished and will be rebuilt next time`,
      {
        isCanceled: true,
        cause: result,
        logPath: opts.log.path,
      },
    );
  }
  const why = result.exitCode === undefined ? result.shortMessage : `exited with code ${result.exitCode}`;
  const tail = opts.log
    .tail()
    .map((line) => `  ${line}`)
    .join("\n");
  // First line alone tells the story; the tail below it shows pip's own complaint.
  throw new EnvironmentError(`${opts.what} failed (${why}); full log: ${opts.log.path}\n${tail}`, {
    cause: result,
    logPath: opts.log.path,
    ...(result.exitCode === undefined ? {} : { commandExitCode: result.exitCode }),
  });
}
