import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import {
  doctor,
  ensureEnvironment,
  type DoctorReport,
  type EnsureOptions,
  type EnsureResult,
  LINKING,
  type InstallProgress,
} from "../adapters/venv/index.js";
import { extraLocks } from "./extras.js";

/** A TTY line is redrawn at most this often: pip can print hundreds of lines a second. */
const TTY_REDRAW_MS = 100;
/** Without a TTY (CI logs), one line this often is enough to show it is alive without flooding the log. */
const PLAIN_LINE_MS = 5_000;
/** pip is silent while it writes files (a minute for torch): redraw on a clock so the line shows it is alive. */
const TICK_MS = 1_000;

/** Where progress goes: stderr by default. `isTTY` picks the single updating line. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** The lock shipped with trellis: `python/requirements.lock` beside `dist/` (this file is `dist/src/app/env.js`). */
export function defaultLockFile(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "python", "requirements.lock");
}

export interface SetupOptions extends Omit<EnsureOptions, "onProgress" | "lockFile" | "extras"> {
  lockFile?: string;
  /** Names of extras (python/extras/) to install on top of the lock. */
  extras?: string[];
  out?: ProgressStream;
}

/** `trellis env setup`: builds (or finds) the environment, showing progress on `out`. */
export async function setupEnvironment(opts: SetupOptions = {}): Promise<EnsureResult> {
  const out = opts.out ?? process.stderr;
  const printer = createProgressPrinter(out, Date.now);
  const ticker = setInterval(printer.tick, TICK_MS).unref();
  try {
    const extras = extraLocks(opts.extras ?? []);
    const result = await ensureEnvironment({ ...opts, extras, lockFile: opts.lockFile ?? defaultLockFile(), onProgress: printer.update });
    printer.finish();
    const what = result.extras?.length ? ` (extras: ${result.extras.join(", ")})` : "";
    out.write(result.installed ? `environment ready${what}: ${result.dir}\n` : `environment already set up${what}: ${result.dir}\n`);
    return result;
  } catch (error) {
    printer.finish();
    throw error;
  } finally {
    clearInterval(ticker);
  }
}

export interface RunDoctorOptions {
  lockFile?: string;
  python?: string;
  reuseTorchFrom?: string;
  venvDir?: string;
  cacheDir?: string;
  /** Names of extras: report on their venv. */
  extras?: string[];
  logger?: Logger;
  signal?: AbortSignal;
}

/** `trellis env doctor`: the report; the CLI prints it with formatDoctor or as JSON. */
export function runDoctor(opts: RunDoctorOptions = {}): Promise<DoctorReport> {
  return doctor({ ...opts, extras: extraLocks(opts.extras ?? []), lockFile: opts.lockFile ?? defaultLockFile() });
}

/** `installing 12/65 packages (torch) eta 0:41`; `elapsedSeconds` is shown for a step with no count to go by. */
export function formatProgress(p: InstallProgress, elapsedSeconds?: number): string {
  if (p.phase === "create") return "creating the virtual environment";
  if (p.phase === "done") return `installed ${p.total} packages`;
  const current = p.current ? ` (${p.current})` : "";
  const eta = p.etaSeconds !== undefined && p.done < p.total ? ` eta ${formatDuration(p.etaSeconds)}` : "";
  const elapsed = elapsedSeconds !== undefined && p.current === LINKING ? ` ${formatDuration(elapsedSeconds)}` : "";
  return `installing ${p.done}/${p.total} packages${current}${eta}${elapsed}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * On a TTY, one line redrawn in place with `\r`; otherwise a plain line on each phase change and at most
 * one per PLAIN_LINE_MS in between. `tick` redraws the last report (call it on a clock); `finish` ends the line.
 */
export function createProgressPrinter(out: ProgressStream, now: () => number) {
  let last: InstallProgress | undefined;
  let lastStartedMs = 0;
  let lastWriteMs = Number.NEGATIVE_INFINITY;
  let drawn = false;
  const interval = out.isTTY ? TTY_REDRAW_MS : PLAIN_LINE_MS;
  const draw = (p: InstallProgress, force: boolean): void => {
    if (!force && now() - lastWriteMs < interval) return;
    lastWriteMs = now();
    const line = formatProgress(p, (now() - lastStartedMs) / 1000);
    if (out.isTTY) {
      // \u001b[K clears what a longer previous line left behind.
      out.write(`\r${line}\u001b[K`);
      drawn = true;
    } else {
      out.write(`${line}\n`);
    }
  };
  return {
    update(p: InstallProgress): void {
      const phaseChanged = p.phase !== last?.phase || p.current === LINKING;
      if (p.current !== last?.current) lastStartedMs = now();
      last = p;
      draw(p, phaseChanged);
    },
    tick(): void {
      if (last && last.phase !== "done") draw(last, false);
    },
    finish(): void {
      if (drawn) out.write("\n");
      drawn = false;
    },
  };
}
