/**
 * Small JSON results kept in the cache directory for as long as the files they were computed
 * from are unchanged. A file counts as unchanged the way git's index judges it: by its stat
 * (size, mtime, ctime, inode), without reading it. ctime cannot be set back from user space
 * (`touch -d` moves mtime only), so a rewritten file is never taken for the one it replaced.
 *
 * Everything here is best effort: an unreadable, corrupt or unwritable cache only means the
 * result is computed again.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";

/** Each file's "size:mtimeNs:ctimeNs:inode" (or "missing", "error:CODE"), and when they were taken. */
interface Stamps {
  files: Record<string, string>;
  takenAtMs: number;
}

/**
 * A file changed less than this before it was stamped may change again within the same
 * timestamp tick and keep its stamp ("racy git"): results from such files are not kept.
 */
const RACY_MS = 2000;

export async function stampsOf(files: readonly string[]): Promise<Stamps> {
  const takenAtMs = Date.now(); // before the stats: an earlier time only makes more of them racy
  const out: Record<string, string> = {};
  for (const file of files) out[file] = await stampOf(file);
  return { files: out, takenAtMs };
}

async function stampOf(file: string): Promise<string> {
  try {
    const s = await stat(file, { bigint: true });
    return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return "missing";
    // Unreadable (EACCES, ELOOP): a stamp of its own, so that the cache never fails what it serves.
    return `error:${code ?? "unknown"}`;
  }
}

/** Any change moves ctime to the present: a file whose ctime was well before its stamp had settled. */
function isRacy(stamp: string, takenAtMs: number, racyMs: number): boolean {
  if (!/^\d/.test(stamp)) return false; // missing or unreadable: a change shows as a new stamp
  const ctime = BigInt(stamp.split(":")[2]!);
  return BigInt(takenAtMs - racyMs) * 1_000_000n < ctime;
}

function sameFiles(a: Record<string, string>, b: Record<string, string>): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((f) => a[f] === b[f]);
}

interface StampedCache<T> {
  /** The value stored under `key`, if every file it was computed from still has its stamp. */
  get(key: string): Promise<T | undefined>;
  /**
   * Stores `value` under `key`, computed from files stamped `stamps` (taken before computing):
   * not kept if any of them changed since, or changed so recently that a change could hide.
   */
  set(key: string, stamps: Stamps, value: T): Promise<void>;
}

/** Entries are `<dir>/<sha256 of key>.json`; `schema` checks what is read back. */
export function stampedCache<S extends z.ZodType>(
  dir: string,
  schema: S,
  opts: { racyMs?: number } = {},
): StampedCache<z.infer<S>> {
  const racyMs = opts.racyMs ?? RACY_MS;
  const fileOf = (key: string) => path.join(dir, `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.json`);
  return {
    async get(key) {
      try {
        const entry = JSON.parse(await readFile(fileOf(key), "utf8")) as {
          key?: unknown;
          files?: Record<string, string>;
          value?: unknown;
        };
        if (entry.key !== key || !entry.files) return undefined;
        if (!sameFiles(entry.files, (await stampsOf(Object.keys(entry.files))).files)) return undefined;
        const parsed = schema.safeParse(entry.value);
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
    async set(key, stamps, value) {
      try {
        const files = stamps.files;
        if (!sameFiles(files, (await stampsOf(Object.keys(files))).files)) return; // changed meanwhile
        if (Object.values(files).some((stamp) => isRacy(stamp, stamps.takenAtMs, racyMs))) return;
        await mkdir(dir, { recursive: true });
        const file = fileOf(key);
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify({ key, files, value }));
        await rename(tmp, file);
      } catch {
        // A read-only or full cache directory: the next run computes it again.
      }
    },
  };
}
