import type { Logger } from "pino";
import { buildEnvironment } from "./build.js";
import { withDirLock } from "./dir-lock.js";
import { EnvironmentError } from "./errors.js";
import { markerMatches, readMarker } from "./marker.js";
import { exists, venvPython } from "./paths.js";
import type { InstallProgress } from "./pip-progress.js";
import { planEnvironment, type EnvironmentPlan, type PlanOptions } from "./plan.js";
import type { TorchInfo } from "./python-info.js";

export interface EnsureOptions extends PlanOptions {
  /** A folder of wheels to install from, offline (`--no-index`); default `$TRELLIS_WHEELHOUSE`. */
  wheelhouse?: string;
  /** Rebuild even when a finished environment with the right key is there (after someone changed it by hand). */
  force?: boolean;
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
}

/**
 * Makes sure the managed venv for `lockFile` exists and returns its interpreter. A finished venv (its
 * `trellis-env.json` records the same key and lock hash) is reused after a few file reads, running nothing.
 * Otherwise it is built under an exclusive lock, so concurrent callers build it once.
 */
export async function ensureEnvironment(opts: EnsureOptions, env: NodeJS.ProcessEnv = process.env): Promise<EnsureResult> {
  const cached = await planEnvironment(opts, env);
  if (!opts.force && (await isFinished(cached))) {
    opts.logger?.debug({ dir: cached.dir }, "reusing the Python environment");
    return ready(cached);
  }
  // Something will run now anyway: ask the base python again rather than trust the cached answer.
  const plan = await planEnvironment(opts, env, true);
  const lockOpts = { signal: opts.signal, logger: opts.logger };
  return withDirLock(
    plan.dir,
    async () => {
      // Whoever held the lock before us may have just finished it.
      if (!opts.force && (await isFinished(plan))) return ready(plan);
      opts.logger?.info({ dir: plan.dir, key: plan.key }, "building the Python environment");
      const wheelhouse = opts.wheelhouse ?? (env.TRELLIS_WHEELHOUSE || undefined);
      const built = await buildEnvironment(plan, { ...lockOpts, wheelhouse, onProgress: opts.onProgress });
      return { ...ready(plan), installed: true, ...built };
    },
    lockOpts,
  ).catch((error: unknown) => {
    // Aborted while waiting for another process's lock: say so in the same typed way as an aborted pip.
    if (error instanceof EnvironmentError || !opts.signal?.aborted) throw error;
    throw new EnvironmentError("stopped while waiting for another trellis process to finish the environment", { isCanceled: true, cause: error });
  });
}

function ready(plan: EnvironmentPlan): EnsureResult {
  return { python: venvPython(plan.dir), dir: plan.dir, key: plan.key, installed: false };
}

async function isFinished(plan: EnvironmentPlan): Promise<boolean> {
  return markerMatches(await readMarker(plan.dir), plan.key, plan.lockSha256) && (await exists(venvPython(plan.dir)));
}
