/**
 * The supervisor owns a run's Python stages. It puts together the run sink (every event
 * numbered, appended to events.jsonl, folded and broadcast: run-sink.ts), the stage runner
 * (stage-runner.ts) and the command policy (`stop` and `checkpoint` from viewers and from
 * signals: command-policy.ts), and outlives any terminal.
 */
import type { Logger } from "pino";
import type { RunStatus } from "../core/events/protocol.js";
import type { Command } from "../core/events/wire.js";
import { preferenceSummary, type RunState } from "../core/run/state.js";
import { averages } from "../core/perf/average.js";
import { headroomMessage, lowHeadroom } from "../core/plan/headroom.js";
import { diskFullMessage } from "../core/diagnose/disk-full.js";
import { DiskGuard } from "./disk-guard.js";
import { sampleGpus } from "../adapters/gpu-sampler.js";
import { TRELLIS_VERSION } from "../adapters/package-files.js";
import { createToken, removeSupervisorFile, runFiles, writeSupervisorFile } from "../adapters/run-dir.js";
import { startEventServer, type EventServer } from "../adapters/ws-server.js";
import { now, type EventBus } from "./event-bus.js";
import { type PreparedRun } from "./prepared-run.js";
import { finalizeManifest } from "./manifest.js";
import { beatSupervisor } from "../adapters/supervisor-beat.js";
import { CommandPolicy } from "./command-policy.js";
import { RunSink } from "./run-sink.js";
import { runStage } from "./stage-runner.js";

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

interface RunParts {
  prepared: PreparedRun;
  logger: Logger;
  sink: RunSink;
  bus: EventBus;
  policy: CommandPolicy;
  disk: DiskGuard;
  server: EventServer;
}

export async function startSupervisor(prepared: PreparedRun, logger: Logger): Promise<Supervisor> {
  const f = runFiles(prepared.runDir);
  // A full disk: the events are held, the trainer stopped, the reserve freed to record the end.
  const disk = new DiskGuard(prepared.runDir, logger);
  const sink = await RunSink.open(f.events, prepared.resume !== undefined, logger, (err, writing) => {
    const facts = disk.filled(err, f.events, writing);
    if (!facts) return;
    bus.emit({
      type: "notice",
      time: now(),
      code: "disk_full",
      message: `${diskFullMessage(facts)}; stopping the trainer`,
    });
    policy.terminate();
  });
  const bus = sink.bus;
  const policy = new CommandPolicy(bus, logger);
  const token = createToken(prepared.runDir);
  const server = await startEventServer({
    host: prepared.host,
    port: prepared.port,
    token,
    allowOrigins: prepared.allowOrigins,
    runId: prepared.runId,
    eventsFile: f.events,
    index: sink.index,
    lastSeq: () => sink.current.lastSeq,
    attemptStart: () => sink.current.attemptStart,
    snapshot: () => sink.current.state,
    onCommand: policy.command,
    logger,
  });
  sink.broadcastTo(server);
  if (prepared.resume) {
    // Before supervisor.json exists, so no viewer can take the previous run_end for the last word.
    bus.emit({
      type: "run_resumed",
      time: now(),
      stage: prepared.resume.stage,
      checkpoint: prepared.resume.checkpoint,
    });
  }
  const stopBeat = beatSupervisor(prepared.runDir); // viewers tell a stopped supervisor by its silence
  writeSupervisorFile(prepared.runDir, {
    pid: process.pid,
    url: server.url,
    host: prepared.host,
    port: server.port,
    startedAt: Date.now(),
  });
  logger.info({ url: server.url }, "supervisor listening");
  const parts: RunParts = { prepared, logger, sink, bus, policy, disk, server };
  const done = runStages(parts).then(async (end) => {
    await endRun(parts, end);
    stopBeat();
    await closeServer(parts);
    return { ...end, state: sink.current.state };
  });
  return { url: server.url, token, command: policy.command, done };
}

interface RunEnd {
  status: FinalStatus;
  reason: string | null;
}

/** The run's opening events, then its stages one after another until one does not finish. */
async function runStages({ prepared, logger, bus, policy, disk }: RunParts): Promise<RunEnd> {
  let runningStage: string | undefined;
  const stopGpu = watchGpus(prepared, bus, () => runningStage);
  if (!prepared.resume) announceRun(prepared, bus);
  for (const n of prepared.notices) bus.emit({ type: "notice", time: now(), ...n });
  const todo = prepared.resume
    ? prepared.stages.slice(prepared.stages.findIndex((s) => s.id === prepared.resume!.stage))
    : prepared.stages;
  let end: RunEnd = { status: "finished", reason: null };
  for (const s of todo) {
    if (policy.stopping) break;
    if (disk.facts) {
      end = { status: "failed", reason: `stage '${s.id}' was not started: ${diskFullMessage(disk.facts)}` };
      break;
    }
    runningStage = s.id;
    const outcome = await runStage(s, prepared, bus, logger, {
      onStart: (h) => {
        policy.started(h);
        if (disk.facts) h.kill("SIGTERM");
      },
      diskFull: () => disk.facts,
    });
    policy.ended();
    if (outcome.status !== "finished") {
      end = { status: outcome.status, reason: outcome.reason };
      break;
    }
  }
  if (policy.stopping && end.status === "finished") end = { status: "stopped", reason: "stopped on request" };
  policy.close();
  stopGpu();
  return end;
}

/** GPU samples as events, and one notice per stage whose memory headroom runs low. */
function watchGpus(prepared: PreparedRun, bus: EventBus, runningStage: () => string | undefined): () => void {
  const warned = new Set<string>();
  return sampleGpus((gpus) => {
    bus.emit({ type: "gpu", time: now(), gpus });
    const stage = runningStage();
    const margin = stage ? prepared.plannedMargins?.[stage] : undefined;
    const low = margin !== undefined ? lowHeadroom(gpus, margin) : null;
    if (low && stage && !warned.has(stage)) {
      warned.add(stage);
      bus.emit({
        type: "notice",
        time: now(),
        stage,
        code: "memory_headroom",
        message: headroomMessage(stage, low, margin!),
      });
    }
  });
}

/** A new run's first events: what runs, and in which environment. */
function announceRun(prepared: PreparedRun, bus: EventBus): void {
  bus.emit({
    type: "run_start",
    time: now(),
    run_id: prepared.runId,
    recipe: prepared.recipeName,
    run_dir: prepared.runDir,
    stages: prepared.stages.map((s) => ({ id: s.id, trainer: s.trainer })),
    trellis_version: TRELLIS_VERSION,
  });
  bus.emit({
    type: "environment",
    time: now(),
    python: prepared.python,
    venv: prepared.venv,
    installed: prepared.installed,
  });
}

/** The manifest finished and run_end recorded, through a full disk if need be. */
async function endRun({ prepared, logger, sink, bus, disk }: RunParts, { status, reason }: RunEnd): Promise<void> {
  const settleDisk = () => {
    if (!sink.isFull()) return;
    disk.release();
    if (!sink.retry()) logger.error("the disk is still full after freeing the reserve: the run's end is not recorded");
  };
  settleDisk();
  const fold = sink.current;
  await finalizeManifest(
    prepared.runDir,
    fold.provenance,
    { status, exitCode: EXIT_CODES[status] },
    averages(fold.throughput),
  );
  bus.emit({
    type: "run_end",
    time: now(),
    status,
    ...(reason ? { reason } : {}),
    preference: preferenceSummary(sink.current.state),
  });
  settleDisk();
  disk.close();
  logger.info({ status, reason }, "run ended");
  // The run is over for newcomers (attach replays the file, resume may start); viewers already
  // connected get a moment to receive run_end.
  removeSupervisorFile(prepared.runDir);
}

/** Viewers already connected get up to LINGER_MS to receive run_end and go, then the socket closes. */
async function closeServer({ server, bus }: RunParts): Promise<void> {
  // ...but no longer than they take to go: `trellis run --foreground` waits for this.
  const lingerEnd = Date.now() + LINGER_MS;
  while (server.viewerCount() > 0 && Date.now() < lingerEnd) await new Promise((r) => setTimeout(r, LINGER_POLL_MS));
  await server.close();
  await bus.close();
}
