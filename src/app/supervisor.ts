/**
 * The supervisor owns a run's Python stages. Every event gets the next sequence number, is
 * appended to events.jsonl, then folded into the state and broadcast over the websocket. It
 * obeys `stop` and `checkpoint` from viewers and from signals, and outlives any terminal.
 */
import path from "node:path";
import type { Logger } from "pino";
import { metricValue, type RunEvent, type RunStatus, type StageEvent } from "../core/events/protocol.js";
import type { Command } from "../core/events/wire.js";
import { initialState, preferenceSummary, reduce, type RunState } from "../core/run/state.js";
import { averages, foldThroughput, type ThroughputTotals } from "../core/perf/average.js";
import { headroomMessage, lowHeadroom } from "../core/plan/headroom.js";
import { EventFileIndex, readAllEvents } from "../adapters/event-file.js";
import { EventAppender } from "../adapters/event-appender.js";
import { diskFullDiagnosis, diskFullMessage, type DiskFullFacts } from "../core/diagnose/disk-full.js";
import { DiskGuard } from "./disk-guard.js";
import { sampleGpus } from "../adapters/gpu-sampler.js";
import { TRELLIS_VERSION } from "../adapters/package-files.js";
import {
  createToken,
  readSpecFile,
  removeSupervisorFile,
  runFiles,
  stageLogFiles,
  writeSupervisorFile,
} from "../adapters/run-dir.js";
import {
  runStageProcess,
  STOP_GRACE_MS,
  type StageHandle,
  type StageProcessOptions,
} from "../adapters/stage-process.js";
import { startEventServer } from "../adapters/ws-server.js";
import { EventBus, now } from "./event-bus.js";
import { diagnoseStage, failureReason, type StageError } from "./failure.js";
import { type Launch } from "./launch.js";
import { finalizeManifest } from "./manifest.js";
import { firstRankFailure, launcherOptions, linkRankLogs, readHeartbeats } from "../adapters/rank-files.js";
import { hangOf } from "../core/distributed/hang.js";
import { describeLaunch, effectiveBatch } from "../core/distributed/command.js";
import { runSlurmStage } from "../adapters/slurm-job.js";
import { channelFiles, slurmDir } from "../adapters/slurm-files.js";
import { watchStalls } from "./stall-watch.js";
import { beatSupervisor } from "../adapters/supervisor-beat.js";

/** Trainer output forwarded as events, per second; the rest is only in the log files. */
const OUTPUT_LINES_PER_SECOND = 50;
/** Viewers get this long after run_end before the socket closes. */
const LINGER_MS = 1_000;
const LINGER_POLL_MS = 20;

export type FinalStatus = Exclude<RunStatus, "running">;
export const EXIT_CODES: Record<FinalStatus, number> = { finished: 0, failed: 1, stopped: 130 };

export interface Supervisor {
  url: string;
  token: string;
  command(c: Command): void;
  done: Promise<{ status: FinalStatus; reason: string | null; state: RunState }>;
}

export async function startSupervisor(launch: Launch, logger: Logger): Promise<Supervisor> {
  const f = runFiles(launch.runDir);
  // A resumed run goes on in the same events.jsonl: numbering and state continue from it.
  const history = launch.resume ? await readAllEvents(f.events, (notice) => logger.warn(notice)) : [];
  const index = launch.resume ? EventFileIndex.ofFile(f.events) : new EventFileIndex();
  // A full disk: the events are held, the trainer stopped, the reserve freed to record the end.
  const disk = new DiskGuard(launch.runDir, logger);
  let appending = "";
  const events = new EventAppender(f.events, (err) => {
    const facts = disk.filled(err, f.events, appending);
    if (!facts) return;
    bus.emit({
      type: "notice",
      time: now(),
      code: "disk_full",
      message: `${diskFullMessage(facts)}; stopping the trainer`,
    });
    stage?.kill("SIGTERM");
    killTimers.push(setTimeout(() => stage?.kill("SIGKILL"), STOP_GRACE_MS));
  });
  let state = history.reduce(reduce, initialState);
  let throughput: ReadonlyMap<string, ThroughputTotals> = history.reduce(foldThroughput, new Map());
  let lastSeq = history.at(-1)?.seq ?? 0;
  /** The seq of the run_resumed that began this attempt: the replay marks what came before as history. */
  let attemptStart = 0;
  const token = createToken(launch.runDir);

  const provenance: Array<Extract<RunEvent, { type: "provenance" }>> = [];
  let stage: StageHandle | undefined;
  let runningStage: string | undefined;
  let stopRequested = false;
  let killTimers: NodeJS.Timeout[] = [];
  const command = (c: Command) => {
    logger.info({ command: c }, "command");
    if (c === "checkpoint") {
      stage?.send("checkpoint");
      bus.emit({
        type: "notice",
        time: now(),
        code: "checkpoint_requested",
        message: "a checkpoint will be saved at the end of the current step",
      });
    } else if (c === "stop" && stopRequested) {
      // Asked twice (a second Ctrl-C): no more grace.
      bus.emit({
        type: "notice",
        time: now(),
        code: "kill_requested",
        message: "stopping now: the trainer's processes are killed",
      });
      stage?.kill("SIGKILL");
    } else if (c === "stop") {
      stopRequested = true;
      bus.emit({
        type: "notice",
        time: now(),
        code: "stop_requested",
        message: "stopping: a checkpoint is saved at the end of the current step, then the run stops",
      });
      stage?.send("stop");
      // A trainer stuck in a long step (or in its imports) is interrupted, then killed.
      killTimers = [
        setTimeout(() => stage?.kill("SIGINT"), STOP_GRACE_MS),
        setTimeout(() => stage?.kill("SIGKILL"), STOP_GRACE_MS * 2),
      ];
    }
  };

  const server = await startEventServer({
    host: launch.host,
    port: launch.port,
    token,
    allowOrigins: launch.allowOrigins,
    runId: launch.runId,
    eventsFile: f.events,
    index,
    lastSeq: () => lastSeq,
    attemptStart: () => attemptStart,
    snapshot: () => state,
    onCommand: command,
    logger,
  });
  const bus = new EventBus(
    {
      write: (e: RunEvent) => {
        const line = JSON.stringify(e);
        appending = `event ${e.seq} (${e.type})`;
        events.append(line, () => {
          index.appended(Buffer.byteLength(line) + 1);
          lastSeq = e.seq;
          if (e.type === "run_resumed") attemptStart = e.seq;
          state = reduce(state, e);
          if (e.type === "provenance") provenance.push(e);
          throughput = foldThroughput(throughput, e);
          server.broadcast(e.seq, line);
        });
      },
      close: () => events.close(),
    },
    lastSeq,
  );
  if (launch.resume) {
    // Before supervisor.json exists, so no viewer can take the previous run_end for the last word.
    bus.emit({ type: "run_resumed", time: now(), stage: launch.resume.stage, checkpoint: launch.resume.checkpoint });
  }
  const stopBeat = beatSupervisor(launch.runDir); // viewers tell a stopped supervisor by its silence
  writeSupervisorFile(launch.runDir, {
    pid: process.pid,
    url: server.url,
    host: launch.host,
    port: server.port,
    startedAt: Date.now(),
  });
  logger.info({ url: server.url }, "supervisor listening");

  const done = (async () => {
    const warned = new Set<string>();
    const stopGpu = sampleGpus((gpus) => {
      bus.emit({ type: "gpu", time: now(), gpus });
      const margin = runningStage ? launch.plannedMargins?.[runningStage] : undefined;
      const low = margin !== undefined ? lowHeadroom(gpus, margin) : null;
      if (low && runningStage && !warned.has(runningStage)) {
        warned.add(runningStage);
        bus.emit({
          type: "notice",
          time: now(),
          stage: runningStage,
          code: "memory_headroom",
          message: headroomMessage(runningStage, low, margin!),
        });
      }
    });
    if (!launch.resume) {
      bus.emit({
        type: "run_start",
        time: now(),
        run_id: launch.runId,
        recipe: launch.recipeName,
        run_dir: launch.runDir,
        stages: launch.stages.map((s) => ({ id: s.id, trainer: s.trainer })),
        trellis_version: TRELLIS_VERSION,
      });
      bus.emit({
        type: "environment",
        time: now(),
        python: launch.python,
        venv: launch.venv,
        installed: launch.installed,
      });
    }
    for (const n of launch.notices) bus.emit({ type: "notice", time: now(), ...n });
    const todo = launch.resume
      ? launch.stages.slice(launch.stages.findIndex((s) => s.id === launch.resume!.stage))
      : launch.stages;

    let status: FinalStatus = "finished";
    let reason: string | null = null;
    for (const s of todo) {
      if (stopRequested) break;
      if (disk.facts) {
        status = "failed";
        reason = `stage '${s.id}' was not started: ${diskFullMessage(disk.facts)}`;
        break;
      }
      runningStage = s.id;
      const outcome = await runOneStage(
        s,
        launch,
        bus,
        logger,
        (h) => {
          stage = h;
          if (stopRequested) h.send("stop");
          if (disk.facts) h.kill("SIGTERM");
        },
        () => disk.facts,
      );
      stage = undefined;
      if (outcome.status !== "finished") {
        status = outcome.status;
        reason = outcome.reason;
        break;
      }
    }
    if (stopRequested && status === "finished") {
      status = "stopped";
      reason = "stopped on request";
    }
    killTimers.forEach(clearTimeout);
    stopGpu();
    const settleDisk = () => {
      if (!events.isFull()) return;
      disk.release();
      if (!events.retry())
        logger.error("the disk is still full after freeing the reserve: the run's end is not recorded");
    };
    settleDisk();
    await finalizeManifest(launch.runDir, provenance, { status, exitCode: EXIT_CODES[status] }, averages(throughput));
    bus.emit({
      type: "run_end",
      time: now(),
      status,
      ...(reason ? { reason } : {}),
      preference: preferenceSummary(state),
    });
    settleDisk();
    disk.close();
    logger.info({ status, reason }, "run ended");
    // The run is over for newcomers (attach replays the file, resume may start); viewers already
    // connected get a moment to receive run_end.
    removeSupervisorFile(launch.runDir);
    stopBeat();
    // ...but no longer than they take to go: `trellis run --foreground` waits for this.
    const lingerEnd = Date.now() + LINGER_MS;
    while (server.viewerCount() > 0 && Date.now() < lingerEnd) await new Promise((r) => setTimeout(r, LINGER_POLL_MS));
    await server.close();
    await bus.close();
    return { status, reason, state };
  })();

  return { url: server.url, token, command, done };
}

/** How often a launched stage's rank heartbeats are read for a stalled collective. */
const HANG_POLL_MS = 2_000;

async function runOneStage(
  s: Launch["stages"][number],
  launch: Launch,
  bus: EventBus,
  logger: Logger,
  onStart: (h: StageHandle) => void,
  diskFull: () => DiskFullFacts | null = () => null,
) {
  let error: StageError | null = null;
  let lastLoss: number | undefined;
  let budget = { second: 0, lines: 0 };
  logger.info({ stage: s.id, script: s.script }, "stage starting");
  const script = path.join(runFiles(launch.runDir).scripts, s.script);
  const d = launch.distributed;
  const spec = readSpecFile(launch.runDir, s.script) as { args: Record<string, unknown> };
  // Said before Python starts: how many processes, and the batch one optimizer step sees.
  bus.emit({
    type: "notice",
    time: now(),
    stage: s.id,
    code: "launch",
    message: describeLaunch(d ?? null, effectiveBatch(spec.args, d?.worldSize ?? 1)),
  });
  let training = false;
  let hang = null as string | null; // set by the watch timer
  // A Slurm job may wait in the queue for hours: silence there is not a stall.
  const stall = d?.slurm ? undefined : watchStalls(s.id, bus);
  let handle: StageHandle | undefined;
  const hangTimer = d
    ? setInterval(() => {
        if (!training || hang) return;
        hang = hangOf(readHeartbeats(launch.runDir, s.id), d.worldSize, d.hangSeconds, Date.now() / 1000);
        if (!hang) return;
        logger.warn({ stage: s.id, hang }, "stalled collective");
        bus.emit({
          type: "notice",
          time: now(),
          stage: s.id,
          code: "hang",
          message: `stage '${s.id}' hangs: ${hang}; stopping it rather than waiting for the collective's timeout`,
        });
        handle?.kill("SIGTERM");
        setTimeout(() => handle?.kill("SIGKILL"), STOP_GRACE_MS).unref();
      }, HANG_POLL_MS)
    : undefined;
  const stageOptions: StageProcessOptions = {
    python: launch.python,
    script,
    cwd: runFiles(launch.runDir).scripts,
    // wandb writes its run folder into the working directory (scripts/) unless told: keep it beside the run's logs.
    env: process.env.WANDB_DIR ? {} : { WANDB_DIR: launch.runDir },
    stdoutFile: stageLogFiles(launch.runDir, s.id).stdout,
    stderrFile: stageLogFiles(launch.runDir, s.id).stderr,
    launcher:
      d && !d.slurm
        ? launcherOptions(d, {
            runDir: launch.runDir,
            rendezvousId: `${launch.recipeName}-${s.id}`,
            stage: s.id,
            script,
            profileFile: d.profileFile,
            cpu: d.cpu,
          })
        : undefined,
    onEvent: (event: StageEvent) => {
      if (stall?.observe(event)) return; // a heartbeat: noted, not recorded
      if (event.type === "error" && !error)
        error = { excType: event.exc_type, message: event.message, errno: event.errno, causeTypes: event.cause_types };
      if (event.type === "metrics") lastLoss = metricValue(event.metrics.loss) ?? lastLoss;
      if (event.type === "train_begin") training = true;
      if (event.type === "train_summary" || event.type === "stopping" || event.type === "error") training = false;
      bus.emit({ ...event, stage: s.id });
    },
    onInvalid: (line: number, err: string, text: string) => {
      logger.warn({ stage: s.id, line, err, text }, "invalid event line from Python");
      bus.emit({ type: "invalid_event", time: now(), stage: s.id, line, error: err, text });
    },
    onOutput: (stream: "stdout" | "stderr", line: string) => {
      const second = Math.floor(Date.now() / 1000);
      if (second !== budget.second) budget = { second, lines: 0 };
      if (++budget.lines <= OUTPUT_LINES_PER_SECOND)
        bus.emit({ type: "output", time: now(), stage: s.id, stream, line: line.slice(0, 1000) });
    },
    onStart: (h: StageHandle) => {
      handle = h;
      onStart(h);
    },
  };
  const result = d?.slurm
    ? await runSlurmStage({
        ...stageOptions,
        batchFile: path.join(slurmDir(launch.runDir, s.id), "job.sbatch"),
        slurmDir: slurmDir(launch.runDir, s.id),
        channels: channelFiles(launch.runDir, s.id),
        onQueue: (jobId, state, why) =>
          bus.emit({
            type: "notice",
            time: now(),
            stage: s.id,
            code: "slurm_job",
            message: `slurm job ${jobId}: ${state}${why && why !== "None" ? ` (${why})` : ""}`,
          }),
      })
    : await runStageProcess(stageOptions);
  clearInterval(hangTimer);
  stall?.stop();
  let rankNote = "";
  if (d) {
    linkRankLogs(launch.runDir, s.id);
    // The first rank to fail, as torchrun's agent decides it: rank 0's own error (often a
    // broken connection to the rank that died) comes later.
    const first = result.exitCode === 0 ? null : firstRankFailure(launch.runDir, s.id);
    if (first) {
      error = first;
      rankNote = ` on rank ${first.rank ?? "?"} of ${d.worldSize}${first.host ? ` (${first.host}, local rank ${first.localRank ?? "?"})` : ""}`;
    }
  }
  const ok = result.exitCode === 0 && !result.stopped && !hang;
  const status = ok ? "finished" : result.stopped ? "stopped" : "failed";
  const full = diskFull();
  const diagnosis =
    ok || hang
      ? undefined
      : full
        ? diskFullDiagnosis(full, launch.runId)
        : diagnoseStage(s, result, error, { lastLoss });
  const reason = ok
    ? null
    : hang
      ? `stage '${s.id}' hung: ${hang}`
      : failureReason(s.id, result, error, diagnosis ?? null).replace(
          `stage '${s.id}' failed:`,
          `stage '${s.id}' failed${rankNote}:`,
        );
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
  return { status, reason } as const;
}
