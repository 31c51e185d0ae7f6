/**
 * The run directory: runs/<run-id>/ with the recipe as given and resolved, the rendered
 * scripts and their specs, logs, the orchestrator's log, events.jsonl, launch.json, the
 * manifest, and a running supervisor's address and token. Every file of a run is read and
 * written here; what the JSON means is parsed by the use cases (src/app) that own it.
 */
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import type { RenderedStage } from "../core/render/render.js";
import { SpecOnFile } from "../core/render/stage-spec.js";
import { RUNTIME_DIR } from "./package-files.js";
import { releaseRunLock, whileUnlocked } from "./run-lock.js";

interface RunDir {
  id: string;
  dir: string;
  scriptsDir: string;
}

/** Where each file of a run lives. */
export const runFiles = (runDir: string) => ({
  launch: path.join(runDir, "launch.json"),
  supervisor: path.join(runDir, "supervisor.json"),
  token: path.join(runDir, "token"),
  supervisorLog: path.join(runDir, "supervisor.log"),
  /** The orchestrator's own log (pino): what the supervisor did and why. */
  log: path.join(runDir, "trellis.log"),
  events: path.join(runDir, "events.jsonl"),
  manifest: path.join(runDir, "manifest.json"),
  recipe: path.join(runDir, "recipe.yaml"),
  resolvedRecipe: path.join(runDir, "recipe.resolved.yaml"),
  plan: path.join(runDir, "plan.json"),
  scripts: path.join(runDir, "scripts"),
});

/** Where a stage's stdout and stderr are kept whole (events carry only a sample). */
export const stageLogFiles = (runDir: string, stage: string) => ({
  stdout: path.join(runDir, "logs", `${stage}.stdout.log`),
  stderr: path.join(runDir, "logs", `${stage}.stderr.log`),
});

/** A stage's spec (the JSON its rendered script reads), beside the script. */
export const specFile = (runDir: string, script: string) =>
  path.join(runFiles(runDir).scripts, script.replace(/\.py$/, ".json"));

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** `20261127-171502-quickstart-orpo-3fa1`: sortable, readable, unique without coordination. */
export function newRunId(recipeName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${recipeName}-${randomBytes(2).toString("hex")}`;
}

export function createRunDir(runsRoot: string, recipeName: string): RunDir {
  mkdirSync(runsRoot, { recursive: true });
  for (;;) {
    const id = newRunId(recipeName);
    const dir = path.join(runsRoot, id);
    try {
      mkdirSync(dir, { mode: 0o700 }); // fails if another run took this id; private: events, tokens, optimizer state
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw err;
    }
    const layout = { id, dir, scriptsDir: path.join(dir, "scripts") };
    mkdirSync(layout.scriptsDir, { mode: 0o700 });
    mkdirSync(path.join(dir, "logs"), { mode: 0o700 });
    return layout;
  }
}

/** A run folder refused before anything ran in it: no trace is left. */
export const removeRunDir = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** Writes the rendered scripts, their specs and a copy of the Python runtime into `dir`. */
export function writeScripts(dir: string, stages: RenderedStage[]): void {
  mkdirSync(dir, { recursive: true });
  for (const s of stages) {
    writeFileSync(path.join(dir, s.script.name), s.script.text, { mode: 0o755 });
    writeFileSync(path.join(dir, s.spec.name), json(s.spec.value));
  }
  cpSync(RUNTIME_DIR, path.join(dir, "trellis_runtime"), {
    recursive: true,
    filter: (src) => !src.includes("__pycache__"),
  });
}

// The recipe, as given and resolved, and what a foreign config was imported from.

export function writeRecipeCopies(runDir: string, given: string, resolvedYaml: string): void {
  writeFileSync(runFiles(runDir).recipe, given);
  writeFileSync(runFiles(runDir).resolvedRecipe, resolvedYaml);
}

export const readRecordedRecipe = (runDir: string) => readFileSync(runFiles(runDir).recipe, "utf8");

/** The foreign config a recipe was imported from, kept as `source-config.<ext>`. */
export function copySourceConfig(runDir: string, file: string): void {
  copyFileSync(file, path.join(runDir, `source-config${path.extname(file) || ".yaml"}`));
}

export const writePlanFile = (runDir: string, plans: unknown) => writeFileSync(runFiles(runDir).plan, json(plans));

// launch.json, the stage specs and the manifest: JSON the use cases parse.

export const writeLaunchFile = (runDir: string, launch: unknown) =>
  writeFileSync(runFiles(runDir).launch, json(launch));
export const readLaunchFile = (runDir: string): unknown => JSON.parse(readFileSync(runFiles(runDir).launch, "utf8"));

/** A stage's spec file, parsed into the fields trellis reads back; throws naming the file and field. */
export function readSpecFile(runDir: string, script: string): SpecOnFile {
  const file = specFile(runDir, script);
  const parsed = SpecOnFile.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new Error(`${file}: ${issue.path.join(".") || "the spec"}: ${issue.message}`);
}
export const writeSpecFile = (runDir: string, script: string, spec: unknown) =>
  writeFileSync(specFile(runDir, script), json(spec));

/** Undefined when the run has none (yet, or made by an older trellis). */
export function readManifestFile(runDir: string): unknown {
  const file = runFiles(runDir).manifest;
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
}

/** Written whole and renamed into place: a reader never sees half a manifest. */
export function writeManifestFile(runDir: string, manifest: unknown): void {
  const file = runFiles(runDir).manifest;
  writeFileSync(`${file}.tmp`, json(manifest));
  renameSync(`${file}.tmp`, file);
}

// A running supervisor: where it listens (supervisor.json) and its token (a 0600 file), both
// there only while it runs.

/** A fresh secret for the run's websocket, in a new file only this user can read (never an old one's mode). */
export function createToken(runDir: string): string {
  const token = randomBytes(32).toString("hex");
  rmSync(runFiles(runDir).token, { force: true });
  writeFileSync(runFiles(runDir).token, `${token}\n`, { mode: 0o600, flag: "wx" });
  return token;
}

export const writeSupervisorFile = (runDir: string, info: unknown) =>
  writeFileSync(runFiles(runDir).supervisor, `${JSON.stringify(info)}\n`);

/**
 * The run is over for newcomers once this is gone: supervisor.json and the token are removed,
 * and this process lets go of the run folder's lock (run-lock.ts), so a resume may start.
 */
export function removeSupervisorFile(runDir: string): void {
  removeStaleSupervisorFiles(runDir);
  releaseRunLock(runDir);
}

/** What a supervisor that died without cleaning up (kill -9) left: never trusted, removed by the next holder of the lock. */
export function removeStaleSupervisorFiles(runDir: string): void {
  rmSync(runFiles(runDir).supervisor, { force: true });
  rmSync(runFiles(runDir).token, { force: true });
}

export const hasSupervisorFile = (runDir: string) => existsSync(runFiles(runDir).supervisor);

/** supervisor.json's content and the token; undefined when there is none; throws when unreadable. */
export function readSupervisorFiles(runDir: string): { info: unknown; token: () => string } | undefined {
  const f = runFiles(runDir);
  if (!existsSync(f.supervisor)) return undefined;
  const info = JSON.parse(readFileSync(f.supervisor, "utf8")) as { pid?: unknown; startedAt?: unknown };
  if (
    typeof info.pid === "number" &&
    typeof info.startedAt === "number" &&
    !supervisorAlive(info.pid, info.startedAt)
  ) {
    // Killed (-9, OOM) before it could clean up: its token is never trusted, and is removed once
    // no process of the run holds the folder's lock (a new supervisor would hold it).
    whileUnlocked(runDir, () => removeStaleSupervisorFiles(runDir));
    return undefined;
  }
  return { info, token: () => readFileSync(f.token, "utf8").trim() };
}

/** Whether the supervisor that wrote supervisor.json still runs: its pid is alive and is not a later process's. */
function supervisorAlive(pid: number, startedAt: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !startedAfter(pid, startedAt);
}

/** Whether process `pid` began after `epochMs` (Linux's /proc; false where it cannot tell). */
function startedAfter(pid: number, epochMs: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]); // field 22: starttime
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
    const CLOCK_TICKS = 100; // USER_HZ, 100 on every Linux architecture trellis runs on
    // supervisor.json is written after the process started: a start later than that is another process.
    return Number.isFinite(ticks) && Number.isFinite(boot) && (boot + ticks / CLOCK_TICKS) * 1000 > epochMs + 2_000;
  } catch {
    return false;
  }
}

/** The last `count` lines of supervisor.log, to say why a supervisor did not start. */
export function supervisorLogTail(runDir: string, count: number): string {
  return readFileSync(runFiles(runDir).supervisorLog, "utf8").trim().split("\n").slice(-count).join("\n");
}

// The runs under a runs directory.

/** The folders of `runsDir` that are runs (they have events or a launch file), sorted: oldest first. */
export function listRunDirNames(runsDir: string): string[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir)
    .filter(
      (d) => existsSync(runFiles(path.join(runsDir, d)).events) || existsSync(runFiles(path.join(runsDir, d)).launch),
    )
    .sort();
}

/** events.jsonl's lines, or undefined when the run has recorded none. */
export function readEventLines(runDir: string): string[] | undefined {
  const file = runFiles(runDir).events;
  return existsSync(file) ? readFileSync(file, "utf8").split("\n") : undefined;
}

/** When the run directory last changed, in seconds: a start time for runs that recorded none. */
export const runDirTime = (runDir: string) => statSync(runDir).mtimeMs / 1000;
