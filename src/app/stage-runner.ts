/**
 * The stage runner: one stage of a run as a process (or a launcher's processes, or a Slurm job),
 * its events forwarded to the run's bus, its output within a budget, a stalled collective caught
 * by the hang timer, and its first error kept for the one-line reason it ends with.
 */
import path from "node:path";
import type { Logger } from "pino";
import { type StageEvent } from "../core/events/protocol.js";
import { diskFullDiagnosis, type DiskFullFacts } from "../core/diagnose/disk-full.js";
import { hangOf } from "../core/distributed/hang.js";
import { describeLaunch, effectiveBatch } from "../core/distributed/command.js";
import { readSpecFile, runFiles, stageLogFiles } from "../adapters/run-dir.js";
import {
  runStageProcess,
  STOP_GRACE_MS,
  type StageHandle,
  type StageProcessOptions,
  type StageProcessResult,
} from "../adapters/stage-process.js";
import { firstRankFailure, launcherOptions, linkRankLogs, readHeartbeats } from "../adapters/rank-files.js";
import { runSlurmStage } from "../adapters/slurm-job.js";
import { channelFiles, slurmDir } from "../adapters/slurm-files.js";
import { now, type EventBus } from "./event-bus.js";
import { diagnoseStage, failureReason, type FailedRank, type StageError } from "./failure.js";
import { type PreparedRun } from "./prepared-run.js";
import { watchStalls } from "./stall-watch.js";

/** Trainer output forwarded as events, per second; the rest is only in the log files. */
const OUTPUT_LINES_PER_SECOND = 50;
/** How often a launched stage's rank heartbeats are read for a stalled collective. */
const HANG_POLL_MS = 2_000;

type PreparedStage = PreparedRun["stages"][number];
type Distributed = NonNullable<PreparedRun["distributed"]>;

interface StageOutcome {
  status: "finished" | "failed" | "stopped";
  reason: string | null;
}

interface StageRunHooks {
  /** The stage's process has started: the command policy takes its handle. */
  onStart: (h: StageHandle) => void;
  /** What filled the disk, when it did while the stage ran (its failure is then the disk's). */
  diskFull: () => DiskFullFacts | null;
}

/** What a stage's events say about its end: its first error, its last loss, and whether it is training. */
class StageFacts {
  error: StageError | null = null;
  lastLoss: number | undefined;
  training = false;

  observe(event: StageEvent): void {
    if (event.type === "error" && !this.error)
      this.error = {
        excType: event.exc_type,
        message: event.message,
        errno: event.errno,
        causeTypes: event.cause_types,
      };
    if (event.type === "metrics") this.lastLoss = event.metrics.loss ?? this.lastLoss;
    if (event.type === "train_begin") this.training = true;
    if (event.type === "train_summary" || event.type === "stopping" || event.type === "error") this.training = false;
  }
}

export async function runStage(
  s: PreparedStage,
  prepared: PreparedRun,
  bus: EventBus,
  logger: Logger,
  hooks: StageRunHooks,
): Promise<StageOutcome> {
  logger.info({ stage: s.id, script: s.script }, "stage starting");
  const d = prepared.distributed;
  announceLaunch(s, prepared, bus);
  const facts = new StageFacts();
  let handle: StageHandle | undefined;
  // A Slurm job may wait in the queue for hours: silence there is not a stall.
  const stall = d?.slurm ? undefined : watchStalls(s.id, bus);
  const hang = d ? watchHang(s.id, d, prepared.runDir, facts, bus, logger, () => handle) : undefined;
  const options: StageProcessOptions = {
    ...processOptions(s, prepared),
    onEvent: (event: StageEvent) => {
      if (stall?.observe(event)) return; // a heartbeat: noted, not recorded
      facts.observe(event);
      bus.emit({ ...event, stage: s.id });
    },
    onInvalid: (line: number, err: string, text: string) => {
      logger.warn({ stage: s.id, line, err, text }, "invalid event line from Python");
      bus.emit({ type: "invalid_event", time: now(), stage: s.id, line, error: err, text });
    },
    onOutput: outputBudget(s.id, bus),
    onStart: (h: StageHandle) => {
      handle = h;
      hooks.onStart(h);
    },
  };
  const result = d?.slurm ? await runSlurm(s.id, prepared.runDir, options, bus) : await runStageProcess(options);
  hang?.stop();
  stall?.stop();
  const rank = d ? rankFailure(s.id, prepared.runDir, d, result, facts) : undefined;
  return endStage(s, prepared, bus, logger, {
    result,
    facts,
    rank,
    hang: hang?.found() ?? null,
    diskFull: hooks.diskFull(),
  });
}

/** Said before Python starts: how many processes, and the batch one optimizer step sees. */
function announceLaunch(s: PreparedStage, prepared: PreparedRun, bus: EventBus): void {
  const d = prepared.distributed;
  const spec = readSpecFile(prepared.runDir, s.script);
  bus.emit({
    type: "notice",
    time: now(),
    stage: s.id,
    code: "launch",
    message: describeLaunch(d ?? null, effectiveBatch(spec.args, d?.worldSize ?? 1)),
  });
}

/** The process's files, environment and launcher, without the event handlers. */
function processOptions(
  s: PreparedStage,
  prepared: PreparedRun,
): Omit<StageProcessOptions, "onEvent" | "onInvalid" | "onOutput" | "onStart"> {
  const d = prepared.distributed;
  const scripts = runFiles(prepared.runDir).scripts;
  const script = path.join(scripts, s.script);
  const logs = stageLogFiles(prepared.runDir, s.id);
  return {
    python: prepared.python,
    script,
    cwd: scripts,
    // wandb writes its run folder into the working directory (scripts/) unless told: keep it beside the run's logs.
    env: process.env.WANDB_DIR ? {} : { WANDB_DIR: prepared.runDir },
    stdoutFile: logs.stdout,
    stderrFile: logs.stderr,
    launcher:
      d && !d.slurm
        ? launcherOptions(d, {
            runDir: prepared.runDir,
            rendezvousId: `${prepared.recipeName}-${s.id}`,
            stage: s.id,
            script,
            profileFile: d.profileFile,
            cpu: d.cpu,
          })
        : undefined,
  };
}

/** Forwards at most OUTPUT_LINES_PER_SECOND lines of output a second, each cut to 1000 characters. */
function outputBudget(stage: string, bus: EventBus): (stream: "stdout" | "stderr", line: string) => void {
  let budget = { second: 0, lines: 0 };
  return (stream, line) => {
    const second = Math.floor(Date.now() / 1000);
    if (second !== budget.second) budget = { second, lines: 0 };
    if (++budget.lines <= OUTPUT_LINES_PER_SECOND)
      bus.emit({ type: "output", time: now(), stage, stream, line: line.slice(0, 1000) });
  };
}

/**
 * The hang timer of a launched stage: while it trains, the ranks' heartbeats are read, and a
 * stalled collective stops the stage rather than waiting for the collective's own timeout.
 */
function watchHang(
  stage: string,
  d: Distributed,
  runDir: string,
  facts: StageFacts,
  bus: EventBus,
  logger: Logger,
  handle: () => StageHandle | undefined,
): { found(): string | null; stop(): void } {
  let hang: string | null = null;
  const timer = setInterval(() => {
    if (!facts.training || hang) return;
    hang = hangOf(readHeartbeats(runDir, stage), d.worldSize, d.hangSeconds, Date.now() / 1000);
    if (!hang) return;
    logger.warn({ stage, hang }, "stalled collective");
    bus.emit({
      type: "notice",
      time: now(),
      stage,
      code: "hang",
      message: `stage '${stage}' hangs: ${hang}; stopping it rather than waiting for the collective's timeout`,
    });
    handle()?.kill("SIGTERM");
    setTimeout(() => handle()?.kill("SIGKILL"), STOP_GRACE_MS).unref();
  }, HANG_POLL_MS);
  return { found: () => hang, stop: () => clearInterval(timer) };
}

async function runSlurm(
  stage: string,
  runDir: string,
  options: StageProcessOptions,
  bus: EventBus,
): Promise<StageProcessResult> {
  return runSlurmStage({
    ...options,
    batchFile: path.join(slurmDir(runDir, stage), "job.sbatch"),
    slurmDir: slurmDir(runDir, stage),
    channels: channelFiles(runDir, stage),
    onQueue: (jobId, state, why) =>
      bus.emit({
        type: "notice",
        time: now(),
        stage,
        code: "slurm_job",
        message: `slurm job ${jobId}: ${state}${why && why !== "None" ? ` (${why})` : ""}`,
      }),
  });
}

/**
 * A launched stage's rank logs are linked beside the stage's; on failure the first rank to fail,
 * as torchrun's agent decides it, gives the error (rank 0's own, often a broken connection to
 * the rank that died, comes later).
 */
function rankFailure(
  stage: string,
  runDir: string,
  d: Distributed,
  result: StageProcessResult,
  facts: StageFacts,
): FailedRank | undefined {
  linkRankLogs(runDir, stage);
  const first = result.exitCode === 0 ? null : firstRankFailure(runDir, stage);
  if (!first) return undefined;
  facts.error = first;
  return { rank: first.rank, worldSize: d.worldSize, host: first.host, localRank: first.localRank };
}

interface StageEnd {
  result: StageProcessResult;
  facts: StageFacts;
  rank: FailedRank | undefined;
  hang: string | null;
  diskFull: DiskFullFacts | null;
}

/** The stage's status and reason, recorded with its diagnosis as `diagnosis` and `stage_end` events. */
function endStage(s: PreparedStage, prepared: PreparedRun, bus: EventBus, logger: Logger, end: StageEnd): StageOutcome {
  const { result, facts, hang } = end;
  const ok = result.exitCode === 0 && !result.stopped && !hang;
  const status = ok ? "finished" : result.stopped ? "stopped" : "failed";
  const diagnosis =
    ok || hang
      ? undefined
      : end.diskFull
        ? diskFullDiagnosis(end.diskFull, prepared.runId)
        : diagnoseStage(s, result, facts.error, { lastLoss: facts.lastLoss });
  const reason = ok
    ? null
    : hang
      ? `stage '${s.id}' hung: ${hang}`
      : failureReason(s.id, result, facts.error, diagnosis ?? null, end.rank);
  logger.info(
    { stage: s.id, exitCode: result.exitCode, signal: result.signal, status, diagnosis, prestarted: result.prestarted },
    "stage ended",
  );
  if (diagnosis) bus.emit({ type: "diagnosis", time: now(), stage: s.id, ...diagnosis });
  bus.emit({
    type: "stage_end",
    time: now(),
    stage: s.id,
    status,
    exit_code: result.exitCode,
    signal: result.signal,
    ...(reason ? { reason } : {}),
  });
  return { status, reason };
}
