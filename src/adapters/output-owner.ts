/**
 * Which run an output folder belongs to. A run claims its output folder by writing
 * `<output_dir>/.trellis-owner.json` (created exclusively: of two runs started together, one
 * wins); a folder claimed by another run, or holding a model trellis did not write, is not
 * written into (src/core/recipe/check.ts says why and what to do).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { OutputFolderState, OutputOwner } from "../core/recipe/check.js";

export const OWNER_FILE = ".trellis-owner.json";

/** Files that say a folder holds a model, or checkpoints of one. */
const MODEL_FILE = /^(config\.json|adapter_config\.json|.*\.safetensors|pytorch_model.*\.bin|checkpoint-\d+)$/;
/** How many of the model's files a message names. */
const NAMED = 3;

export function inspectOutputFolder(dir: string): OutputFolderState {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { kind: "free" };
  const owner = readOwner(dir);
  if (owner) return { kind: "owned", owner };
  // The folder itself, or a stage's folder inside it (output_dir/<stage>/...).
  const entries = readdirSync(dir);
  const found = entries.filter((n) => MODEL_FILE.test(n));
  for (const sub of entries) {
    const full = path.join(dir, sub);
    if (found.length >= NAMED || !statSync(full, { throwIfNoEntry: false })?.isDirectory() || MODEL_FILE.test(sub))
      continue;
    found.push(
      ...readdirSync(full)
        .filter((n) => MODEL_FILE.test(n))
        .map((n) => path.join(sub, n)),
    );
  }
  return found.length ? { kind: "foreign_model", files: found.slice(0, NAMED) } : { kind: "free" };
}

/** Claims `dir` for a run; the state that refuses it when another run or model is there first. */
export function claimOutputFolder(dir: string, me: OutputOwner): OutputFolderState | undefined {
  const state = inspectOutputFolder(dir);
  if (state.kind === "owned" && state.owner.run_id === me.run_id) return undefined;
  if (state.kind !== "free") return state;
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(path.join(dir, OWNER_FILE), `${JSON.stringify(me)}\n`, { flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return inspectOutputFolder(dir); // another run claimed it a moment ago
  }
  return undefined;
}

function readOwner(dir: string): OutputOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(path.join(dir, OWNER_FILE), "utf8")) as OutputOwner;
    return typeof o.run_id === "string" ? o : undefined;
  } catch {
    return undefined;
  }
}
