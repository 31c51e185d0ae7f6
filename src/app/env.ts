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
import { clock } from "../core/clock.js";
import { extraLocks } from "./extras.js";
import { shippedLocks } from "../adapters/package-files.js";
import { EnvironmentError } from "../adapters/venv/errors.js";
import { probeDriver } from "../adapters/venv/driver.js";
import {
  BACKEND_CHOICES,
  chooseBackend,
  isBackendChoice,
  LOCK_FILES,
  type TorchBackend,
} from "../core/env/torch-backend.js";

/** A TTY line is redrawn at most this often: pip can print hundreds of lines a second. */
const TTY_REDRAW_MS = 100;
/** Without a TTY (CI logs), one line this often is enough to show it is alive without flooding the log. */
const PLAIN_LINE_MS = 5_000;
/** pip is silent while it writes files (a minute for torch): redraw on a clock so the line shows it is alive. */
const TICK_MS = 1_000;

/** Where progress goes: stderr by default. `isTTY` picks the single updating line. */
interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** The lock of a torch backend, in python/ beside `dist/`. */
function lockFileOf(backend: TorchBackend): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "python", LOCK_FILES[backend]);
}

interface BackendPick {
  backend: TorchBackend;
  lockFile: string;
  /** For `auto`: why this backend. */
  why?: string;
}

/**
 * The torch backend and its lock: `choice` (`--torch-backend`), else `$TRELLIS_TORCH_BACKEND`, else
 * `auto`, which asks the NVIDIA driver. A backend without a lock in this trellis is refused.
 */
async function pickBackend(choice: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<BackendPick> {
  const given = choice ?? (env.TRELLIS_TORCH_BACKEND || "auto");
  if (!isBackendChoice(given)) {
    const from = choice === undefined ? "TRELLIS_TORCH_BACKEND" : "--torch-backend";
    throw new EnvironmentError(`${from} '${given}' is not a torch backend (one of ${BACKEND_CHOICES.join(", ")})`, {
      exitCode: 2,
    });
  }
  const available = shippedLocks(LOCK_FILES);
  let backend: TorchBackend;
  let why: string | undefined;
  if (given === "auto") {
    const driver = await probeDriver(env);
    ({ backend, why } = chooseBackend(driver?.cuda, available));
  } else backend = given;
  const lockFile = lockFileOf(backend);
  if (!available.includes(backend)) {
    throw new EnvironmentError(
      `there is no lock for torch backend ${backend} (${lockFile}): generate it with \`python python/tools/make_locks.py ${backend}\` where the PyTorch index can be reached, or pick one of ${available.join(", ")}`,
    );
  }
  return why === undefined ? { backend, lockFile } : { backend, lockFile, why };
}

interface SetupOptions extends Omit<EnsureOptions, "onProgress" | "lockFile" | "extras" | "torchBackend"> {
  /** A lock to use as is; without one, the torch backend's lock. */
  lockFile?: string;
  /** auto | cpu | cu126 | cu128 | cu130; default `$TRELLIS_TORCH_BACKEND`, else auto. */
  torchBackend?: string;
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
    const lock = opts.lockFile ? { lockFile: opts.lockFile } : await pickBackend(opts.torchBackend);
    const { torchBackend: _choice, ...rest } = opts;
    const result = await ensureEnvironment({ ...rest, extras, ...lockOptions(lock), onProgress: printer.update });
    printer.finish();
    const extrasNote = result.extras?.length ? `extras: ${result.extras.join(", ")}` : "";
    const backendNote = "backend" in lock ? `torch ${lock.backend}${lock.why ? `: ${lock.why}` : ""}` : "";
    const notes = [backendNote, extrasNote].filter(Boolean);
    const what = notes.length ? ` (${notes.join("; ")})` : "";
    out.write(
      result.installed
        ? `environment ready${what}: ${result.dir}\n`
        : `environment already set up${what}: ${result.dir}\n`,
    );
    return result;
  } catch (error) {
    printer.finish();
    throw error;
  } finally {
    clearInterval(ticker);
  }
}

interface RunDoctorOptions {
  lockFile?: string;
  torchBackend?: string;
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
export async function runDoctor(opts: RunDoctorOptions = {}): Promise<DoctorReport> {
  const lock = opts.lockFile ? { lockFile: opts.lockFile } : await pickBackend(opts.torchBackend);
  const { torchBackend: _choice, ...rest } = opts;
  return doctor({ ...rest, extras: extraLocks(opts.extras ?? []), ...lockOptions(lock) });
}

function lockOptions(lock: { lockFile: string } | BackendPick): { lockFile: string; torchBackend?: TorchBackend } {
  return "backend" in lock ? { lockFile: lock.lockFile, torchBackend: lock.backend } : { lockFile: lock.lockFile };
}

/** `installing 12/65 packages (torch) eta 0:41`; `elapsedSeconds` is shown for a step with no count to go by. */
export function formatProgress(p: InstallProgress, elapsedSeconds?: number): string {
  if (p.phase === "create") return "creating the virtual environment";
  if (p.phase === "done") return `installed ${p.total} packages`;
  const current = p.current ? ` (${p.current})` : "";
  const eta = p.etaSeconds !== undefined && p.done < p.total ? ` eta ${clock(p.etaSeconds)}` : "";
  const elapsed = elapsedSeconds !== undefined && p.current === LINKING ? ` ${clock(elapsedSeconds)}` : "";
  return `installing ${p.done}/${p.total} packages${current}${eta}${elapsed}`;
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
