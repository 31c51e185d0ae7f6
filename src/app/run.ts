/**
 * `trellis run`: validate, prepare the environment, render into a new run directory, then run
 * each stage's script in order, turning everything into events.
 */
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { stringify } from "yaml";
import type { RunEvent, RunStatus } from "../core/events/protocol.js";
import { resolveRecipe } from "../core/recipe/resolve.js";
import { renderRecipe } from "../core/render/render.js";
import { initialState, preferenceSummary, reduce, type RunState } from "../core/run/state.js";
import { fileLogger } from "../adapters/logger.js";
import { TRELLIS_VERSION } from "../adapters/package-files.js";
import { createRunDir, EventLog, writeScripts, type RunDir } from "../adapters/run-dir.js";
import { runStageProcess } from "../adapters/stage-process.js";
import { EventBus, now, type EventSink } from "./event-bus.js";
import { failureReason, type StageError } from "./failure.js";
import { loadRecipe } from "./load-recipe.js";

export interface PreparedEnvironment {
  python: string;
  dir: string;
  installed: boolean;
}

export interface RunOptions {
  recipeFile: string;
  runsDir: string;
  /** Creates or reuses the managed Python environment. */
  environment: () => Promise<PreparedEnvironment>;
  /** Viewers of the event stream (terminal printer, JSON printer...). */
  sinks: EventSink[];
  signal?: AbortSignal;
}

export interface RunResult {
  status: Exclude<RunStatus, "running">;
  exitCode: number;
  reason: string | null;
  runDir: RunDir;
  state: RunState;
}

/** Exit codes: 0 success, 1 a stage failed, 130 stopped by the user. */
const EXIT: Record<RunResult["status"], number> = { finished: 0, failed: 1, stopped: 130 };

export async function runRecipe(o: RunOptions): Promise<RunResult> {
  // Validate first: a bad recipe or data file leaves no run directory behind.
  const loaded = await loadRecipe(o.recipeFile, path.resolve(o.runsDir, "pending", "output"));
  const env = await o.environment();

  const runDir = createRunDir(o.runsDir, loaded.recipe.name);
  const resolved = resolveRecipe(loaded.recipe, o.recipeFile, path.join(runDir.dir, "output"));
  const logger = fileLogger(runDir.logFile);
  const events = new EventLog(runDir.eventsFile);
  let state = initialState;
  const bus = new EventBus({ write: (e) => events.append(e), close: () => events.close() }, [
    { write: (e: RunEvent) => (state = reduce(state, e)) },
    ...o.sinks,
  ]);

  copyFileSync(o.recipeFile, path.join(runDir.dir, "recipe.yaml"));
  writeFileSync(path.join(runDir.dir, "recipe.resolved.yaml"), stringify(loaded.recipe));
  const rendered = renderRecipe(resolved, loaded.trl, TRELLIS_VERSION);
  writeScripts(runDir.scriptsDir, rendered);
  logger.info({ recipe: o.recipeFile, runDir: runDir.dir, python: env.python, installed: env.installed }, "run starting");

  bus.emit({
    type: "run_start",
    time: now(),
    run_id: runDir.id,
    recipe: loaded.recipe.name,
    run_dir: runDir.dir,
    stages: rendered.map((s) => ({ id: s.id, trainer: s.trainer })),
    trellis_version: TRELLIS_VERSION,
  });
  bus.emit({ type: "environment", time: now(), python: env.python, venv: env.dir, installed: env.installed });
  if (loaded.recipe.model.trust_remote_code) {
    bus.emit({ type: "notice", time: now(), code: "trust_remote_code", message: `model.trust_remote_code is on: Python code shipped with '${loaded.recipe.model.name}' will run on this machine` });
  }

  let status: RunResult["status"] = "finished";
  let reason: string | null = null;
  for (const stage of rendered) {
    const outcome = await runStage(stage.id, stage.script.name, env.python, runDir, bus, logger, o.signal);
    if (outcome.status !== "finished") {
      status = outcome.status;
      reason = outcome.reason;
      break;
    }
  }
  bus.emit({ type: "run_end", time: now(), status, ...(reason ? { reason } : {}), preference: preferenceSummary(state) });
  logger.info({ status, reason }, "run ended");
  await bus.close();
  logger.flush();
  return { status, exitCode: EXIT[status], reason, runDir, state };
}

async function runStage(id: string, script: string, python: string, runDir: RunDir, bus: EventBus, logger: Logger, signal?: AbortSignal) {
  let error: StageError | null = null;
  logger.info({ stage: id, script }, "stage starting");
  const result = await runStageProcess({
    python,
    script: path.join(runDir.scriptsDir, script),
    cwd: runDir.scriptsDir,
    env: {},
    stdoutFile: path.join(runDir.logsDir, `${id}.stdout.log`),
    stderrFile: path.join(runDir.logsDir, `${id}.stderr.log`),
    onEvent: (event) => {
      if (event.type === "error" && !error) error = { excType: event.exc_type, message: event.message };
      bus.emit({ ...event, stage: id });
    },
    onInvalid: (line, err, text) => {
      logger.warn({ stage: id, line, err, text }, "invalid event line from Python");
      bus.emit({ type: "invalid_event", time: now(), stage: id, line, error: err, text });
    },
    signal,
  });
  const ok = result.exitCode === 0 && !result.stopped;
  const status = ok ? "finished" : result.stopped ? "stopped" : "failed";
  const reason = ok ? null : failureReason(id, result, error);
  logger.info({ stage: id, exitCode: result.exitCode, signal: result.signal, status }, "stage ended");
  bus.emit({ type: "stage_end", time: now(), stage: id, status, exit_code: result.exitCode, signal: result.signal, ...(reason ? { reason } : {}) });
  return { status, reason } as const;
}
