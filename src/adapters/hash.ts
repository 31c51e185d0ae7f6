/** SHA-256 of text and of files: what the manifest records and reproduce/resume compare. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";

export const sha256Text = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

/** Streamed: data files can be far larger than memory. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** A file's size and hash, or null when it is not there. */
export async function fileDigest(file: string): Promise<{ bytes: number; sha256: string } | null> {
  let bytes: number;
  try {
    bytes = (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  return { bytes, sha256: await sha256File(file) };
}
