/** Free space where a run will write, measured on the nearest folder that exists already. */
import { randomBytes } from "node:crypto";
import { appendFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { statfs } from "node:fs/promises";
import path from "node:path";

export async function freeBytes(dir: string): Promise<{ free: number; where: string }> {
  let where = path.resolve(dir);
  for (;;) {
    try {
      const stats = await statfs(where);
      return { free: stats.bavail * stats.bsize, where };
    } catch (err) {
      const parent = path.dirname(where);
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || parent === where) throw err;
      where = parent;
    }
  }
}

/**
 * Room kept for recording a run's end on a full disk: a file of this size in the run folder,
 * deleted when the disk fills so that the held events, the last log lines and the manifest fit.
 * Random bytes, not zeros, so that a compressing file system (btrfs, ZFS) really sets them aside.
 */
const RESERVE_BYTES = 1 << 20;
const reserveFile = (runDir: string) => path.join(runDir, ".disk-reserve");

/** Writes the reserve; false when even that does not fit (the run goes on without one). */
export function createReserve(runDir: string, bytes = RESERVE_BYTES): boolean {
  try {
    writeFileSync(reserveFile(runDir), randomBytes(bytes));
    return true;
  } catch {
    rmSync(reserveFile(runDir), { force: true });
    return false;
  }
}

/** One line at the end of a log file (supervisor.log, once the reserve made room for it). */
export const appendLine = (file: string, line: string) => appendFileSync(file, line);

export const releaseReserve = (runDir: string) => rmSync(reserveFile(runDir), { force: true });

/** Free bytes on the file system holding `file`, now; null when it cannot be read. */
export function freeBytesNow(file: string): number | null {
  try {
    const stats = statfsSync(path.dirname(file));
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}
