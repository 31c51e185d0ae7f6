import { readFile } from "node:fs/promises";
import path from "node:path";
import { EnvironmentError } from "./errors.js";
import { environmentKey, sha256, torchMode } from "./requirements-lock.js";
import { cacheRoot, findExecutable, stableExecutablePath, venvsRoot } from "./paths.js";
import { probeBasePython } from "./python-info.js";
import type { TorchBackend } from "../../core/env/torch-backend.js";

/** Where the environment lives and what it should contain; shared by ensureEnvironment and doctor. */
export interface LayoutOptions {
  /** The pinned requirements lock (`python/requirements.lock`). */
  lockFile: string;
  /** Base interpreter for the venv; default `$TRELLIS_PYTHON`, else `python3`. */
  python?: string;
  /** A python executable whose environment already has (CUDA) torch; default `$TRELLIS_REUSE_TORCH`. */
  reuseTorchFrom?: string;
  /** The venv folder, overriding the cache; default `$TRELLIS_VENV`. */
  venvDir?: string;
  /** Which torch build the lock is of; set when the lock was picked by backend (it goes into the key). */
  torchBackend?: TorchBackend;
  /** The cache root, overriding `$TRELLIS_CACHE_DIR` / `$XDG_CACHE_HOME/trellis` / `~/.cache/trellis`. */
  cacheDir?: string;
  signal?: AbortSignal;
}

export interface EnvironmentLayout {
  cacheDir: string;
  dir: string;
  /** True when the folder was named by the user (`venvDir`, `$TRELLIS_VENV`), not derived from the key. */
  dirChosen: boolean;
  key: string;
  lockFile: string;
  lockText: string;
  lockSha256: string;
  basePython: string;
  basePythonVersion: string;
  reuseTorchFrom: string | undefined;
  torchBackend: TorchBackend | undefined;
}

/**
 * Reads the lock and works out the venv's key and folder. Runs the base python only the first time it is
 * seen, unless `fresh` asks to look again.
 */
export async function environmentLayout(
  opts: LayoutOptions,
  env: NodeJS.ProcessEnv = process.env,
  fresh = false,
): Promise<EnvironmentLayout> {
  const cacheDir = opts.cacheDir ? path.resolve(opts.cacheDir) : cacheRoot(env);
  const lockFile = path.resolve(opts.lockFile);
  const lockText = await readFile(lockFile, "utf8").catch((error: unknown) => {
    throw new EnvironmentError(`cannot read the requirements lock ${lockFile}`, { cause: error });
  });
  const basePython = await resolveInterpreter(opts.python ?? env.TRELLIS_PYTHON ?? "python3", "TRELLIS_PYTHON", env);
  const reuseSetting = opts.reuseTorchFrom ?? (env.TRELLIS_REUSE_TORCH || undefined);
  const reuseTorchFrom =
    reuseSetting === undefined
      ? undefined
      : await stableExecutablePath(await resolveInterpreter(reuseSetting, "TRELLIS_REUSE_TORCH", env));
  const base = await probeBasePython(basePython, cacheDir, { signal: opts.signal, fresh });
  const key = environmentKey({
    lockText,
    pythonVersion: base.version,
    platform: base.platform,
    torchMode: torchMode(reuseTorchFrom),
    ...(opts.torchBackend ? { torchBackend: opts.torchBackend } : {}),
  });
  const chosen = opts.venvDir ?? (env.TRELLIS_VENV || undefined);
  return {
    cacheDir,
    dir: chosen ? path.resolve(chosen) : path.join(venvsRoot(cacheDir), key),
    dirChosen: chosen !== undefined,
    key,
    lockFile,
    lockText,
    lockSha256: sha256(lockText),
    basePython,
    basePythonVersion: base.version.split(" ")[0] ?? base.version,
    reuseTorchFrom,
    torchBackend: opts.torchBackend,
  };
}

async function resolveInterpreter(command: string, setting: string, env: NodeJS.ProcessEnv): Promise<string> {
  const found = await findExecutable(command, env);
  if (found === undefined) {
    throw new EnvironmentError(`cannot find the Python interpreter "${command}"; install Python 3 or set ${setting}`);
  }
  return found;
}
