/**
 * The checkpoints of a stage's output folder, newest first, each checked against the marker
 * trellis writes once a checkpoint is complete (python/trellis_runtime/checkpoint_digest.py): a
 * folder without it, with a file missing, of another size, or whose bytes no longer match the
 * recorded sha256 (damaged in place), or saved with NaN/inf weights, is never loaded (loading a
 * checkpoint unpickles it: it must be ours, and whole).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { sha256File } from "./hash.js";

export const CHECKPOINT_MARKER = "trellis-checkpoint.json";

interface CheckpointInfo {
  path: string;
  step: number;
  problem: string | null;
}

/** A file as the marker records it: its size (markers of older trellis), or size and sha256. */
type Recorded = number | { bytes: number; sha256: string };

/** Every checkpoint's folder and step, newest first, unchecked. */
function checkpointFolders(outputDir: string): Array<{ path: string; step: number }> {
  if (!existsSync(outputDir)) return [];
  return readdirSync(outputDir)
    .map((name) => ({ name, m: /^checkpoint-(\d+)$/.exec(name) }))
    .filter((x) => x.m)
    .map(({ name, m }) => ({ path: path.join(outputDir, name), step: Number(m![1]) }))
    .sort((a, b) => b.step - a.step);
}

/**
 * The checkpoints with their problems, newest first. Hashing reads every byte, so it stops at
 * the first good checkpoint: older ones are listed with problem null and unhashed (sizes only).
 */
export async function findCheckpoints(outputDir: string): Promise<CheckpointInfo[]> {
  const found: CheckpointInfo[] = [];
  let good = false;
  for (const c of checkpointFolders(outputDir)) {
    const problem = good ? sizeProblem(c.path) : await checkpointProblem(c.path);
    if (!problem) good = true;
    found.push({ ...c, problem });
  }
  return found;
}

/** Why a checkpoint cannot be resumed from, naming the file; null when every file matches its digest. */
async function checkpointProblem(folder: string): Promise<string | null> {
  const sized = sizeProblem(folder);
  if (sized) return sized;
  for (const [name, want] of Object.entries(readMarker(folder)!.files)) {
    if (typeof want === "number") continue;
    if ((await sha256File(path.join(folder, name))) !== want.sha256)
      return `${name} does not match its recorded sha256 (damaged in place)`;
  }
  return null;
}

function readMarker(folder: string): { finite?: boolean; files: Record<string, Recorded> } | undefined {
  return JSON.parse(readFileSync(path.join(folder, CHECKPOINT_MARKER), "utf8")) as {
    finite?: boolean;
    files: Record<string, Recorded>;
  };
}

function sizeProblem(folder: string): string | null {
  if (!existsSync(path.join(folder, CHECKPOINT_MARKER)))
    return `incomplete or not written by trellis (no ${CHECKPOINT_MARKER})`;
  let marker: ReturnType<typeof readMarker>;
  try {
    marker = readMarker(folder);
  } catch {
    return `its ${CHECKPOINT_MARKER} is unreadable`;
  }
  if (!marker?.files || typeof marker.files !== "object") return `its ${CHECKPOINT_MARKER} is unreadable`;
  if (marker.finite === false) return "its weights were NaN or infinite when it was saved";
  for (const [name, want] of Object.entries(marker.files)) {
    const file = path.join(folder, name);
    if (!existsSync(file)) return `${name} is missing`;
    const size = typeof want === "number" ? want : want.bytes;
    const actual = statSync(file).size;
    if (actual !== size) return `${name} is ${actual} bytes, expected ${size} (truncated?)`;
  }
  return null;
}
