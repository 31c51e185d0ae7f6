/** Free space where a run will write, measured on the nearest folder that exists already. */
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
