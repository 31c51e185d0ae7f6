/** The runs under a runs directory: finding one by id, and the status of each for `trellis ls`. */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { files, readSupervisor } from "./launch.js";

export class RunNotFoundError extends Error {
  readonly exitCode = 2;
}

export interface RunSummary {
  id: string;
  dir: string;
  status: "running" | "finished" | "failed" | "stopped" | "unknown";
  recipe: string | null;
  trainers: string;
  step: number | null;
  maxSteps: number | null;
  startedAt: number | null;
  reason: string | null;
}

export function listRunIds(runsDir: string): string[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir)
    .filter((d) => existsSync(files(path.join(runsDir, d)).events) || existsSync(files(path.join(runsDir, d)).launch))
    .sort();
}

/** An exact run id, a unique prefix or substring of one, or "latest". */
export function findRun(runsDir: string, query: string | undefined): string {
  const ids = listRunIds(runsDir);
  if (!ids.length) throw new RunNotFoundError(`no runs in ${runsDir}`);
  if (!query || query === "latest") return path.join(runsDir, ids.at(-1)!);
  if (ids.includes(query)) return path.join(runsDir, query);
  const matches = ids.filter((id) => id.startsWith(query) || id.includes(query));
  if (matches.length === 1) return path.join(runsDir, matches[0]!);
  throw new RunNotFoundError(matches.length ? `'${query}' matches several runs: ${matches.join(", ")}` : `no run matches '${query}' in ${runsDir} (trellis ls lists them)`);
}

/** Reads a run's status from its events (the last lines suffice) and its supervisor. */
export function summarizeRun(dir: string): RunSummary {
  const id = path.basename(dir);
  const out: RunSummary = { id, dir, status: "unknown", recipe: null, trainers: "", step: null, maxSteps: null, startedAt: null, reason: null };
  const eventsFile = files(dir).events;
  if (!existsSync(eventsFile)) return out;
  const text = readFileSync(eventsFile, "utf8");
  for (const line of text.split("\n")) {
    if (!line) continue;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (e.type === "run_start") {
      out.recipe = e.recipe as string;
      out.startedAt = e.time as number;
      out.trainers = (e.stages as Array<{ id: string; trainer: string }>).map((s) => s.trainer).join("+");
    } else if (e.type === "metrics") {
      out.step = e.step as number;
      out.maxSteps = e.max_steps as number;
    } else if (e.type === "run_resumed") {
      out.status = "unknown";
      out.reason = null;
    } else if (e.type === "run_end") {
      out.status = e.status as RunSummary["status"];
      out.reason = (e.reason as string | undefined) ?? null;
    }
  }
  if (out.status === "unknown") {
    out.status = readSupervisor(dir) ? "running" : "failed";
    if (out.status === "failed") out.reason = "the supervisor is gone without recording the run's end";
  }
  out.startedAt ??= statSync(dir).mtimeMs / 1000;
  return out;
}
