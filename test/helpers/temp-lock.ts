/** A temporary folder with a small requirements lock and a private cache, for the venv tests. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export async function tempLock(
  prefix: string,
  lockText: string,
): Promise<{ tmp: string; cacheDir: string; lockFile: string }> {
  const tmp = await mkdtemp(path.join(tmpdir(), prefix));
  const lockFile = path.join(tmp, "requirements.lock");
  await writeFile(lockFile, lockText);
  return { tmp, cacheDir: path.join(tmp, "cache"), lockFile };
}
