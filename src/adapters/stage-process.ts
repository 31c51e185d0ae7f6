/**
 * Runs one rendered stage script in the managed Python, in its own process group. Structured
 * events arrive on fd 3, one JSON line each; stdout and stderr stream to log files (never
 * buffered in memory) with a short tail kept for error messages.
 */
import { appendFileSync, createWriteStream, rmSync, type WriteStream } from "node:fs";
import type { ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { execa } from "execa";
import { decodeStageEvent, type StageEvent } from "../core/events/protocol.js";
import { LineDecoder } from "../core/events/line-decoder.js";
import { stripRankPrefix } from "../core/distributed/command.js";
import { tailFile } from "./file-tail.js";
import { signalTree } from "./process-tree.js";
import prestart from "./python-prestart.cjs";

/** The file descriptor Python writes events to. */
const EVENTS_FD = 3;
/** The file descriptor Python reads commands from (stop, checkpoint), one JSON line each. */
const CONTROL_FD = 4;
/** Lines of stderr kept for the one-line failure reason and the end-of-run report. */
const TAIL_LINES = 40;
/** After a stop request, how long the trainer may take to exit before the group is killed. */
export const STOP_GRACE_MS = 30_000;

export interface StageProcessOptions {
  python: string;
  script: string;
  cwd: string;
  env: Record<string, string>;
  stdoutFile: string;
  stderrFile: string;
  onEvent: (event: StageEvent) => void;
  onInvalid: (line: number, error: string, text: string) => void;
  onOutput?: (stream: "stdout" | "stderr", line: string) => void;
  /** Receives the handle to send commands to the running stage. */
  onStart?: (stage: StageHandle) => void;
  /**
   * A launched stage (torchrun, accelerate): the launcher's arguments (the script among them).
   * Its workers inherit no file descriptors, so events come from rank 0 through a file and
   * commands go through another; each rank reports its last step in `ranksDir`.
   */
  launcher?: { args: string[]; eventsFile: string; controlFile: string; ranksDir: string };
}

export interface StageHandle {
  /** Asks the trainer, through its control channel, to act at the next step end. */
  send(command: "stop" | "checkpoint"): void;
  /** Signals the whole process group (the trainer and anything it started). */
  kill(signal: NodeJS.Signals): void;
}

export interface StageProcessResult {
  exitCode: number | null;
  signal: string | null;
  stderrTail: string[];
  stopped: boolean;
  /** Whether the stage ran in the Python bin/trellis.js had started early (python-prestart.cts). */
  prestarted?: boolean;
}

export async function runStageProcess(o: StageProcessOptions): Promise<StageProcessResult> {
  const l = o.launcher;
  if (l) {
    // A resumed stage starts from a clean slate: an old stop command must not stop it again.
    for (const f of [l.eventsFile, l.controlFile]) rmSync(f, { force: true });
    rmSync(l.ranksDir, { recursive: true, force: true });
  }
  const channels = l
    ? { TRELLIS_EVENTS_FILE: l.eventsFile, TRELLIS_CONTROL_FILE: l.controlFile, TRELLIS_RANKS_DIR: l.ranksDir }
    : { TRELLIS_EVENTS_FD: String(EVENTS_FD), TRELLIS_CONTROL_FD: String(CONTROL_FD) };
  const env = { PYTHONUNBUFFERED: "1", ...o.env, ...channels };
  // A plain stage may run in the Python bin/trellis.js started early (imports done meanwhile).
  const adopted = l
    ? undefined
    : prestart.adoptPrestart({ python: o.python, script: o.script, cwd: o.cwd, env: { ...process.env, ...env } });
  const spawned = adopted
    ? undefined
    : execa(o.python, l ? l.args : [o.script], {
        cwd: o.cwd,
        env,
        stdio: l ? ["ignore", "pipe", "pipe"] : ["ignore", "pipe", "pipe", "pipe", "pipe"],
        buffer: false,
        reject: false,
        detached: true, // its own process group, so a stop reaches the trainer's children too
        cleanup: true,
      });
  const child = (adopted ?? spawned)!;
  const pid = child.pid;
  let stopped = false;
  const control = l ? undefined : (child.stdio[CONTROL_FD] as unknown as Writable);
  control?.on("error", () => {}); // the stage may exit before reading: not an error of ours
  const sendLine = (line: string) => {
    if (l) appendFileSync(l.controlFile, line);
    else if (control?.writable) control.write(line);
  };
  o.onStart?.({
    send: (command) => {
      if (command === "stop") stopped = true;
      sendLine(`${JSON.stringify({ command })}\n`);
    },
    // torchrun's workers lead sessions of their own: the whole tree, not only the group.
    kill: (signal) => (l ? signalTree(pid, signal) : signalGroup(pid, signal)),
  });

  const stderrTail: string[] = [];
  const files = [createWriteStream(o.stdoutFile), createWriteStream(o.stderrFile)];
  for (const f of files) f.on("error", () => {}); // a full disk: the supervisor records it from events.jsonl
  const shown = (line: string) => (l ? stripRankPrefix(line) : line);
  const eventLines = eventHandler(o);
  const eventDecoder = new LineDecoder();
  const tail = l ? tailFile(l.eventsFile, (bytes) => eventDecoder.push(bytes).forEach(eventLines)) : undefined;
  const pumps = [
    pumpLines(child.stdout, (line) => o.onOutput?.("stdout", shown(line)), files[0]!),
    pumpLines(
      child.stderr,
      (line) => {
        stderrTail.push(shown(line));
        if (stderrTail.length > TAIL_LINES) stderrTail.shift();
        o.onOutput?.("stderr", shown(line));
      },
      files[1]!,
    ),
    l ? Promise.resolve() : pumpEvents(child.stdio[EVENTS_FD] as Readable, eventLines),
  ];
  const result = adopted ? await exitOf(adopted) : await spawned!;
  control?.destroy();
  await Promise.all(pumps); // 'close', not 'exit': the last lines may still be in the pipes
  if (tail) {
    await tail.stop();
    eventDecoder.end().forEach(eventLines);
  }
  await Promise.all(files.map((f) => new Promise<void>((resolve) => f.end(() => resolve()))));
  return {
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    stderrTail,
    stopped,
    prestarted: Boolean(adopted),
  };
}

function exitOf(child: ChildProcess): Promise<{ exitCode?: number; signal?: string }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ exitCode: child.exitCode ?? undefined, signal: child.signalCode ?? undefined });
  return new Promise((resolve) =>
    child.once("exit", (code, signal) => resolve({ exitCode: code ?? undefined, signal: signal ?? undefined })),
  );
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

async function pumpLines(stream: Readable | null, onLine: (line: string) => void, file: WriteStream): Promise<void> {
  if (!stream) return;
  const decoder = new LineDecoder();
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    // A log file that cannot be written (a full disk) must not stop the pump: the lines go on as events.
    if (!file.destroyed && !file.write(bytes))
      await new Promise<void>((resolve) => file.once("drain", resolve).once("close", resolve));
    for (const line of decoder.push(bytes)) if (line !== null) onLine(line);
  }
  for (const line of decoder.end()) if (line !== null) onLine(line);
}

/** Decodes event lines, numbering them for the invalid-line report. */
function eventHandler(o: StageProcessOptions): (line: string | null) => void {
  let lineNo = 0;
  return (line) => {
    lineNo++;
    if (line === null) return o.onInvalid(lineNo, "line too long", "");
    if (!line.trim()) return;
    const decoded = decodeStageEvent(line);
    if (decoded.ok) o.onEvent(decoded.event);
    else o.onInvalid(lineNo, decoded.error, line.slice(0, 200));
  };
}

async function pumpEvents(stream: Readable | null, handle: (line: string | null) => void): Promise<void> {
  if (!stream) return;
  const decoder = new LineDecoder();
  for await (const chunk of stream) decoder.push(chunk as Buffer).forEach(handle);
  decoder.end().forEach(handle);
}
