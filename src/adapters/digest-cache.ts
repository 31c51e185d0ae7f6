/**
 * Data files' digests for the manifest, kept while each file's stat is unchanged
 * (src/adapters/stamp-cache.ts): a gigabyte of data is hashed once, not again at every run
 * while the first stage starts. `trellis reproduce` hashes afresh (hash.ts): it is the check.
 */
import { realpath } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { fileDigest } from "./hash.js";
import { stampedCache, stampsOf } from "./stamp-cache.js";
import { cacheRoot } from "./venv/paths.js";

const Digest = z.object({ bytes: z.number(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

/** A file's size and SHA-256, or null when it is not there. */
export async function cachedFileDigest(
  file: string,
  cacheDir = cacheRoot(),
): Promise<{ bytes: number; sha256: string } | null> {
  let real: string;
  try {
    real = await realpath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const cache = stampedCache(path.join(cacheDir, "digests"), Digest);
  const cached = await cache.get(real);
  if (cached) return cached;
  const stamps = await stampsOf([real]);
  const digest = await fileDigest(real);
  if (digest) await cache.set(real, stamps, digest);
  return digest;
}
