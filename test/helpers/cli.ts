/** Runs the real `trellis` CLI as a user would, and reads what a run left behind. */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { RunEvent } from "../../src/core/events/protocol.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const BIN = path.join(ROOT, "bin", "trellis.js");
export const RECIPES = path.join(ROOT, "recipes");

/** A fresh working folder, with Hub access off and a private datasets cache. */
export function workspace(name: string): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(path.join(tmpdir(), `trellis-${name}-`));
  return { dir, env: { HF_HUB_OFFLINE: "1", HF_DATASETS_OFFLINE: "1", HF_HOME: path.join(dir, "hf"), NO_COLOR: "1" } };
}

export async function trellis(args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  const result = await execa(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: opts.env,
    reject: false,
    stdin: "ignore",
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export function runDirs(runsDir: string): string[] {
  try {
    return readdirSync(runsDir).map((d) => path.join(runsDir, d));
  } catch {
    return [];
  }
}

export function readEvents(file: string): RunEvent[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunEvent);
}

export function eventsOf<T extends RunEvent["type"]>(
  events: RunEvent[],
  type: T,
  stage?: string,
): Array<Extract<RunEvent, { type: T }>> {
  return events.filter(
    (e): e is Extract<RunEvent, { type: T }> => e.type === type && (stage === undefined || e.stage === stage),
  );
}

/** The single run directory a `trellis run` created under `runsDir`. */
export function onlyRun(runsDir: string): string {
  const dirs = runDirs(runsDir);
  if (dirs.length !== 1) throw new Error(`expected one run in ${runsDir}, found ${dirs.length}`);
  return dirs[0]!;
}

/** Minutes: a real run on 2 CPU cores, the first one also builds the environment. */
export const RUN_TIMEOUT_MS = 15 * 60_000;
