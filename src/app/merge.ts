/**
 * `trellis merge <run>`: a finished LoRA (or QLoRA) stage's adapter merged into the model it
 * trained on, as a full model in <stage output>/merged (or --out). Which stage, and whether it
 * can be merged, is decided from the run's own records (launch.json, events.jsonl) before any
 * Python starts; the merge itself is python/trellis_runtime/merge.py, as rendered into the run.
 */
import path from "node:path";
import { readAllEvents } from "../adapters/event-file.js";
import { runMergeProcess } from "../adapters/merge-process.js";
import { EnvironmentError } from "../adapters/venv/errors.js";
import { runFiles } from "../adapters/run-dir.js";
import { readPreparedRun } from "./prepared-run.js";
import { TrellisError } from "../core/errors.js";

/** A merge that cannot be done (no such stage, a full model, not finished): exit code 2. */
class MergeRefused extends TrellisError {
  override readonly exitCode = 2;
}
/** The merge ran and failed (its exception is in the log): exit code 1, like a failed stage. */
class MergeFailed extends TrellisError {
  override readonly exitCode = 1;
  constructor(
    message: string,
    readonly logFile: string,
  ) {
    super(message);
  }
}

interface MergeChoice {
  stage: string;
  spec: string;
  /** Where the adapter is: the stage's output folder. */
  adapter: string;
}

/** The stage to merge: `stage` when given, else the last stage that saved an adapter. */
async function chooseMergeStage(runDir: string, stage?: string): Promise<MergeChoice> {
  const prepared = readPreparedRun(runDir);
  const events = await readAllEvents(runFiles(runDir).events);
  const saved = new Map(events.flatMap((e) => (e.type === "saved" ? [[e.stage, e] as const] : [])));
  const ids = prepared.stages.map((s) => s.id);
  const choose = (id: string) => {
    const s = prepared.stages.find((x) => x.id === id)!;
    const event = saved.get(id)!;
    return { stage: id, spec: path.join(runDir, "scripts", s.script.replace(/\.py$/, ".json")), adapter: event.path };
  };
  if (stage !== undefined) {
    if (!ids.includes(stage))
      throw new MergeRefused(`${prepared.runId} has no stage '${stage}' (stages: ${ids.join(", ")})`);
    const event = saved.get(stage);
    if (!event)
      throw new MergeRefused(
        `stage '${stage}' of ${prepared.runId} has not saved its result (it did not finish): finish it first (trellis resume ${prepared.runId})`,
      );
    if (!event.adapter)
      throw new MergeRefused(
        `stage '${stage}' of ${prepared.runId} trained the full model (no peft block): its output ${event.path} is already a full model, nothing to merge`,
      );
    return choose(stage);
  }
  const last = [...ids].reverse().find((id) => saved.get(id)?.adapter === true);
  if (!last) {
    const any = ids.some((id) => saved.has(id));
    throw new MergeRefused(
      any
        ? `no stage of ${prepared.runId} trained a LoRA adapter: its outputs are full models already, nothing to merge`
        : `no stage of ${prepared.runId} has finished: nothing to merge yet`,
    );
  }
  return choose(last);
}

export async function mergeRun(
  runDir: string,
  options: { stage?: string; out?: string; signal?: AbortSignal } = {},
): Promise<{ stage: string; merged: string; log: string }> {
  const choice = await chooseMergeStage(runDir, options.stage);
  const prepared = readPreparedRun(runDir);
  const log = path.join(runDir, "logs", `merge-${choice.stage}.stderr.log`);
  const out = options.out ? path.resolve(options.out) : undefined;
  const result = await runMergeProcess({
    python: prepared.python,
    scriptsDir: path.join(runDir, "scripts"),
    spec: choice.spec,
    out,
    logFile: log,
    signal: options.signal,
  });
  if (!result.pythonFound) {
    throw new EnvironmentError(
      `the environment this run used is gone (${prepared.python}): set it up again (trellis env setup, with the run's extras) and retry`,
    );
  }
  if (result.exitCode !== 0 || !result.merged) {
    throw new MergeFailed(
      `merging stage '${choice.stage}' failed: ${result.lastError ?? `exit code ${result.exitCode}`} (log: ${log})`,
      log,
    );
  }
  return { stage: choice.stage, merged: result.merged, log };
}
