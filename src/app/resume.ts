/**
 * `trellis resume <run>`: continue a stopped or failed run in its own directory, from the newest
 * complete checkpoint of the stage that was running, skipping the stages already finished.
 */
import path from "node:path";
import { findCheckpoints } from "../adapters/checkpoints.js";
import { readAllEvents } from "../adapters/event-file.js";
import { sha256Text } from "../adapters/hash.js";
import { lockSha256 } from "../adapters/package-files.js";
import { readTextIfExists } from "../adapters/recipe-files.js";
import { readSpecFile, removeStaleSupervisorFiles, runFiles, specFile, writeSpecFile } from "../adapters/run-dir.js";
import { lockRunDir, RunLockHeld } from "../adapters/run-lock.js";
import { readPreparedRun, readSupervisor, writePreparedRun, type PreparedRun } from "./prepared-run.js";
import { portablePath, specPath } from "../core/render/spec-paths.js";
import { TrellisError } from "../core/errors.js";

export class ResumeError extends TrellisError {
  override readonly exitCode = 2;
}

export async function prepareResume(runDir: string, options: { force?: boolean } = {}): Promise<PreparedRun> {
  const prepared = readPreparedRun(runDir);
  try {
    lockRunDir(runDir, prepared.python, "resume"); // before anything is written; held until the run ends
  } catch (err) {
    if (!(err instanceof RunLockHeld)) throw err;
    throw new ResumeError(
      `${err.message}: attach to it (trellis attach ${path.basename(runDir)}) or wait until it ends`,
    );
  }
  if (readSupervisor(runDir))
    throw new ResumeError(
      `${path.basename(runDir)} is still running: attach to it instead (trellis attach ${path.basename(runDir)})`,
    );
  removeStaleSupervisorFiles(runDir); // a supervisor killed with -9 left them: never trusted
  // A damaged line is passed over here and named by the replay the resumed run's view shows.
  const events = await readAllEvents(runFiles(runDir).events, () => {});
  const finished = new Set(events.flatMap((e) => (e.type === "stage_end" && e.status === "finished" ? [e.stage] : [])));
  const next = prepared.stages.find((s) => !finished.has(s.id));
  if (!next) throw new ResumeError(`every stage of ${prepared.runId} finished: nothing to resume`);

  const changed: string[] = [];
  const recipeNow = readTextIfExists(prepared.recipeFile);
  if (recipeNow !== undefined && sha256Text(recipeNow) !== prepared.recipeSha256)
    changed.push(`the recipe ${prepared.recipeFile} changed since the run started`);
  if (lockSha256() !== prepared.lockSha256)
    changed.push("the environment lock (python/requirements.lock) changed since the run started");
  if (changed.length && !options.force)
    throw new ResumeError(`not resuming: ${changed.join("; ")}. The checkpoint may not match; --force resumes anyway.`);

  const spec = readSpecFile(runDir, next.script);
  if (spec.args.output_dir === undefined)
    throw new ResumeError(
      `${specFile(runDir, next.script)}: args.output_dir is missing: the stage's output cannot be found`,
    );
  const notices: PreparedRun["notices"] = changed.map((message) => ({
    code: "resume_forced",
    message: `resuming anyway: ${message}`,
  }));
  const specDir = path.dirname(specFile(runDir, next.script));
  const checkpoints = await findCheckpoints(specPath(specDir, spec.args.output_dir));
  for (const c of checkpoints.filter((c) => c.problem))
    notices.push({ code: "checkpoint_skipped", message: `skipping ${path.basename(c.path)}: ${c.problem}` });
  const chosen = checkpoints.find((c) => !c.problem) ?? null;
  notices.push({
    code: "resumed",
    message: chosen
      ? `resuming stage '${next.id}' from ${path.basename(chosen.path)} (step ${chosen.step})`
      : `no complete checkpoint of stage '${next.id}': it starts again from its beginning`,
  });
  if (chosen) spec.resume_from_checkpoint = portablePath(chosen.path, { specDir, ownDir: runDir });
  else delete spec.resume_from_checkpoint;
  writeSpecFile(runDir, next.script, spec);

  const resumed: PreparedRun = { ...prepared, notices, resume: { stage: next.id, checkpoint: chosen?.path ?? null } };
  writePreparedRun(resumed);
  return resumed;
}
