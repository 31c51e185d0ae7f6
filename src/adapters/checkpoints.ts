/**
 * The checkpoints of a stage's output folder, newest first, each checked against the marker
 * trellis writes once a checkpoint is complete (python/trellis_runtime/callback.py): a folder
 * without it, or with a file missing or of another size, was cut short or was not written by
 * trellis, and is never loaded (loading a checkpoint unpickles it: it must be ours).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export const CHECKPOINT_MARKER = "trellis-checkpoint.json";

export interface CheckpointInfo {
  path: string;
  step: number;
  problem: string | null;
}

export function findCheckpoints(outputDir: string): CheckpointInfo[] {
  if (!existsSync(outputDir)) return [];
  return readdirSync(outputDir)
    .map((name) => ({ name, m: /^checkpoint-(\d+)$/.exec(name) }))
    .filter((x) => x.m)
    .map(({ name, m }) => {
      const folder = path.join(outputDir, name);
      return { path: folder, step: Number(m![1]), problem: checkProblem(folder) };
    })
    .sort((a, b) => b.step - a.step);
}

function checkProblem(folder: string): string | null {
  const marker = path.join(folder, CHECKPOINT_MARKER);
  if (!existsSync(marker)) return "incomplete or not written by trellis (no trellis-checkpoint.json)";
  let files: Record<string, number>;
  try {
    files = (JSON.parse(readFileSync(marker, "utf8")) as { files: Record<string, number> }).files;
  } catch {
    return "its trellis-checkpoint.json is unreadable";
  }
  for (const [name, size] of Object.entries(files)) {
    const file = path.join(folder, name);
    if (!existsSync(file)) return `${name} is missing`;
    const actual = statSync(file).size;
    if (actual !== size) return `${name} is ${actual} bytes, expected ${size} (truncated?)`;
  }
  return null;
}
