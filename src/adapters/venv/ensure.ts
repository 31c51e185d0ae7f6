import type { Logger } from "pino";
import { buildEnvironment } from "./build.js";
import { withFolderMutex } from "./folder-mutex.js";
import { EnvironmentError } from "./errors.js";
import { buildExtrasEnvironment, extrasLayout, type ExtraLock, type ExtrasLayout } from "./extras-venv.js";
import { markerMatches, readMarker } from "./marker.js";
import { exists, venvPython } from "./paths.js";
import type { InstallProgress } from "./pip-progress.js";
import { environmentLayout, type EnvironmentLayout, type LayoutOptions } from "./layout.js";
import type { TorchInfo } from "./python-info.js";

export interface EnsureOptions extends LayoutOptions {
  /** A folder of wheels to install from, offline (`--no-index`); default `$TRELLIS_WHEELHOUSE`. */
  wheelhouse?: string;
  /** Rebuild even when a finished environment with the right key is there (after someone changed it by hand). */
  force?: boolean;
  /** Optional packages on top of the base lock; each set gets its own venv layered on the base one. */
  extras?: ExtraLock[];
  onProgress?: (p: InstallProgress) => void;
  logger?: Logger;
}

export interface EnsureResult {
  /** The venv's interpreter, to run scripts with. */
  python: string;
  dir: string;
  key: string;
  /** False when a finished environment was found and nothing ran. */
  installed: boolean;
  /** The reused torch, when `reuseTorchFrom` was given and this call built the venv. */
  torch?: TorchInfo;
  /** With extras: their names, and the base venv the extras venv is layered on. */
  extras?: string[];
  base?: string;
}

/**
 * Makes sure the managed venv for `lockFile` (and `extras`, if any) exists and returns its interpreter. A
 * finished venv (its `trellis-env.json` records the same key and lock hash) is reused after a few file
 * reads, running nothing. Otherwise it is built under an exclusive lock, so concurrent callers build it once.
 */
export async function ensureEnvironment(
  opts: EnsureOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EnsureResult> {
  const { layout, result } = await ensureBase(opts, env);
  if (!opts.extras?.length) return result;
  const extras = extrasLayout(layout, opts.extras);
  const done = {
    python: venvPython(extras.dir),
    dir: extras.dir,
    key: extras.key,
    installed: false,
    extras: extras.extras.map((e) => e.name),
    base: layout.dir,
  };
  if (!opts.force && (await isFinished(extras))) return done;
  return locked(extras.dir, opts, async () => {
    if (!opts.force && (await isFinished(extras))) return done;
    opts.logger?.info(
      { dir: extras.dir, key: extras.key, extras: done.extras },
      "building the environment for the extras",
    );
    await buildExtrasEnvironment(extras, {
      signal: opts.signal,
      logger: opts.logger,
      wheelhouse: opts.wheelhouse ?? (env.TRELLIS_WHEELHOUSE || undefined),
      onProgress: opts.onProgress,
    });
    return { ...done, installed: true };
  });
}

async function ensureBase(
  opts: EnsureOptions,
  env: NodeJS.ProcessEnv,
): Promise<{ layout: EnvironmentLayout; result: EnsureResult }> {
  const cached = await environmentLayout(opts, env);
  // --force rebuilds the venv the command is about: the extras one when extras are asked for.
  const force = opts.force === true && !opts.extras?.length;
  if (!force && (await isFinished(cached))) {
    opts.logger?.debug({ dir: cached.dir }, "reusing the Python environment");
    return { layout: cached, result: ready(cached) };
  }
  // Something will run now anyway: ask the base python again rather than trust the cached answer.
  const layout = await environmentLayout(opts, env, true);
  const result = await locked(layout.dir, opts, async () => {
    // Whoever held the lock before us may have just finished it.
    if (!force && (await isFinished(layout))) return ready(layout);
    opts.logger?.info({ dir: layout.dir, key: layout.key }, "building the Python environment");
    const wheelhouse = opts.wheelhouse ?? (env.TRELLIS_WHEELHOUSE || undefined);
    const built = await buildEnvironment(layout, {
      signal: opts.signal,
      logger: opts.logger,
      wheelhouse,
      onProgress: opts.onProgress,
    });
    return { ...ready(layout), installed: true, ...built };
  });
  return { layout, result };
}

function locked(dir: string, opts: EnsureOptions, fn: () => Promise<EnsureResult>): Promise<EnsureResult> {
  const lockOpts = { signal: opts.signal, logger: opts.logger };
  return withFolderMutex(dir, fn, lockOpts).catch((error: unknown) => {
    // Aborted while waiting for another process's lock: say so in the same typed way as an aborted pip.
    if (error instanceof EnvironmentError || !opts.signal?.aborted) throw error;
    throw new EnvironmentError("stopped while waiting for another trellis process to finish the environment", {
      isCanceled: true,
      cause: error,
    });
  });
}

function ready(layout: EnvironmentLayout): EnsureResult {
  return { python: venvPython(layout.dir), dir: layout.dir, key: layout.key, installed: false };
}

async function isFinished(layout: EnvironmentLayout | ExtrasLayout): Promise<boolean> {
  return (
    markerMatches(await readMarker(layout.dir), layout.key, layout.lockSha256) && (await exists(venvPython(layout.dir)))
  );
}
