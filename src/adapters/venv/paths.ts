import { constants } from "node:fs";
import { access, realpath } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";

/** Written last into a finished venv; its presence (with the right key) means "ready, install nothing". */
export const MARKER_FILE = "trellis-env.json";
/** Written first into a venv being built: tells a later run that the half-built directory is ours to delete. */
export const BUILDING_FILE = ".trellis-building";
/** The lock as installed (torch dropped in reuse mode), kept in the venv for the record. */
export const INSTALLED_LOCK_FILE = "trellis-requirements.lock";
/** The `.pth` line that puts a reused environment's site-packages (and its torch) on the venv's path. */
export const REUSE_PTH_FILE = "_trellis_reuse_torch.pth";

/** `$TRELLIS_CACHE_DIR`, else `$XDG_CACHE_HOME/trellis`, else `~/.cache/trellis`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TRELLIS_CACHE_DIR) return path.resolve(env.TRELLIS_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.resolve(env.XDG_CACHE_HOME, "trellis");
  return path.join(homedir(), ".cache", "trellis");
}

export function venvsRoot(cache: string): string {
  return path.join(cache, "venvs");
}

/** The interpreter inside a venv. */
export function venvPython(dir: string): string {
  return process.platform === "win32" ? path.join(dir, "Scripts", "python.exe") : path.join(dir, "bin", "python");
}

/** Pip's full output for the last build of `dir`; beside the venv so it survives the venv being deleted. */
export function installLogPath(dir: string): string {
  return `${dir}.install.log`;
}

export async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Finds a command the way a shell would (a name is looked up on PATH, a path is taken as is), without spawning. */
export async function findExecutable(
  command: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (command.includes("/") || command.includes(path.sep)) {
    const full = path.resolve(command);
    return (await isExecutable(full)) ? full : undefined;
  }
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A stable name for an interpreter: its folder resolved, its file name kept. A venv's `bin/python` is a
 * symlink to the base interpreter, so a full realpath would make every venv on a machine look the same.
 */
export async function stableExecutablePath(executable: string): Promise<string> {
  return path.join(await realpath(path.dirname(executable)), path.basename(executable));
}
