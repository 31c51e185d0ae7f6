import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { MARKER_FILE } from "./paths.js";

const EnvMarker = z.object({
  key: z.string(),
  lockSha256: z.string(),
  python: z.string(),
  createdAt: z.string(),
  reuseTorchFrom: z.string().nullable(),
  wheelhouse: z.string().nullable(),
  /** The torch build the lock was picked for (`trellis env setup --torch-backend`). */
  torchBackend: z.string().optional(),
  /** For an extras venv: the base venv it is layered on, and its extras. */
  base: z.string().optional(),
  extras: z.array(z.string()).optional(),
});
/** What `trellis-env.json` records about a finished venv. */
type EnvMarker = z.infer<typeof EnvMarker>;

/** The venv's marker, or undefined when there is none or it is not one of ours (never throws). */
export async function readMarker(dir: string): Promise<EnvMarker | undefined> {
  try {
    return EnvMarker.parse(JSON.parse(await readFile(path.join(dir, MARKER_FILE), "utf8")));
  } catch {
    return undefined;
  }
}

export function markerMatches(marker: EnvMarker | undefined, key: string, lockSha256: string): boolean {
  return marker !== undefined && marker.key === key && marker.lockSha256 === lockSha256;
}

/** Writes through a temporary file and a rename, so a reader never sees half a marker. */
export async function writeMarker(dir: string, marker: EnvMarker): Promise<void> {
  const target = path.join(dir, MARKER_FILE);
  const tmp = `${target}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(marker, null, 2)}\n`);
  await rename(tmp, target);
}
