/** Files trellis ships beside its code: the Python runtime, the lock, the bundled recipes. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sha256Text } from "./hash.js";

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("trellis: cannot find its package folder");
    dir = up;
  }
  return dir;
}

export const PACKAGE_ROOT = findRoot();
export const PYTHON_DIR = path.join(PACKAGE_ROOT, "python");
export const RUNTIME_DIR = path.join(PYTHON_DIR, "trellis_runtime");
export const LOCK_FILE = path.join(PYTHON_DIR, "requirements.lock");

export const TRELLIS_VERSION: string = (
  JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }
).version;

/** The TRL version the managed environment pins (the renderer targets it by default). */
export function lockedTrlVersion(lockFile = LOCK_FILE): string {
  const m = /^trl==(\S+)/m.exec(readFileSync(lockFile, "utf8"));
  if (!m) throw new Error(`${lockFile} pins no trl version`);
  return m[1]!;
}

/** The lock's hash, as launch.json records it (resume refuses a run whose lock changed). */
export const lockSha256 = (lockFile = LOCK_FILE) => sha256Text(readFileSync(lockFile, "utf8"));

/** The torch backends whose lock ships in python/ (a backend without one cannot be installed). */
export function shippedLocks<T extends string>(locks: Record<T, string>): T[] {
  return (Object.keys(locks) as T[]).filter((backend) => existsSync(path.join(PYTHON_DIR, locks[backend])));
}
