/**
 * The run directory: runs/<run-id>/ with the recipe as given and resolved, the rendered
 * scripts, logs, the orchestrator's log and events.jsonl. Events are appended synchronously,
 * in order, before any other sink sees them.
 */
import { randomBytes } from "node:crypto";
import { closeSync, cpSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import type { RunEvent } from "../core/events/protocol.js";
import type { RenderedStage } from "../core/render/render.js";
import { RUNTIME_DIR } from "./package-files.js";

export interface RunDir {
  id: string;
  dir: string;
  scriptsDir: string;
}

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
      mkdirSync(dir); // fails if another run took this id
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw err;
    }
    const layout = { id, dir, scriptsDir: path.join(dir, "scripts") };
    mkdirSync(layout.scriptsDir);
    mkdirSync(path.join(dir, "logs"));
    return layout;
  }
}

/** Writes the rendered scripts, their specs and a copy of the Python runtime into `dir`. */
export function writeScripts(dir: string, stages: RenderedStage[]): void {
  mkdirSync(dir, { recursive: true });
  for (const s of stages) {
    writeFileSync(path.join(dir, s.script.name), s.script.text, { mode: 0o755 });
    writeFileSync(path.join(dir, s.spec.name), `${JSON.stringify(s.spec.value, null, 2)}\n`);
  }
  cpSync(RUNTIME_DIR, path.join(dir, "trellis_runtime"), {
    recursive: true,
    filter: (src) => !src.includes("__pycache__"),
  });
}

export class EventLog {
  private readonly fd: number;
  constructor(file: string) {
    this.fd = openSync(file, "a");
  }
  /** `line` is the event already serialised, when the caller has it. */
  append(event: RunEvent, line = JSON.stringify(event)): void {
    writeSync(this.fd, `${line}\n`);
  }
  close(): void {
    closeSync(this.fd);
  }
}
