/**
 * Viewing a run: live over the websocket while its supervisor runs, or replayed from
 * events.jsonl once it has finished. The view is a sink of events; the dashboard, the progress
 * line and the JSON printer all plug in the same way.
 */
import type { RunEvent } from "../core/events/protocol.js";
import type { Command } from "../core/events/wire.js";
import { readAllEvents, warnOnStderr } from "../adapters/event-file.js";
import { followRun } from "../adapters/ws-client.js";
import { runFiles } from "../adapters/run-dir.js";
import { watchSupervisorBeat } from "./supervisor-watch.js";
import { EXIT_CODES, type FinalStatus } from "./supervisor.js";

/** About an event rather than in it: `history` marks an earlier attempt of a resumed run. */
interface EventMeta {
  history?: boolean;
}

export interface RunView {
  write(event: RunEvent, meta?: EventMeta): void;
  /** A line of trellis's own about the record (a damaged line of events.jsonl skipped); default: stderr. */
  notice?(text: string): void;
  /** The view's way to send commands (keys in the dashboard). */
  bindCommands?(send: (c: Command) => void): void;
  /** Resolves when the user detaches from the view (q in the dashboard). */
  detached?: Promise<void>;
  /** Says what a Ctrl-C from outside the view (SIGINT) did; the dashboard reads its own from the keys. */
  interrupted?(what: CtrlC): void;
  close(result: ViewResult): void | Promise<void>;
}

export type ViewResult = { kind: "ended"; status: FinalStatus } | { kind: "detached" } | { kind: "lost" };

interface AttachTarget {
  url: string;
  token: string;
  /** The run's folder, when known: its supervisor's beat is watched (supervisor-watch.ts). */
  runDir?: string;
  /** A link that may drop (a run on a server, through ssh): said when it drops and comes back; tried longer. */
  link?: { maxAttempts: number; dropped(attempt: number): void; back(): void };
}

/**
 * The one rule for Ctrl-C, in every view (docs/runs.md, "Ctrl-C"): on a live run the first stop request
 * stops it gracefully (a checkpoint, then `stopped`), the second kills the trainer's processes
 * (the supervisor takes a second `stop` so), a third leaves; on a run that no longer runs, it
 * leaves. `q` in the dashboard detaches. `stopsSent` counts the stop requests before this one (a
 * dashboard's `s` `y` is one).
 */
type CtrlC = "stop" | "kill" | "leave";
export function ctrlC(stopsSent: number, live: boolean): CtrlC {
  if (!live) return "leave";
  return stopsSent === 0 ? "stop" : stopsSent === 1 ? "kill" : "leave";
}

/** What each Ctrl-C says, in every view. */
export const CTRL_C_SAYS: Record<CtrlC, string> = {
  stop: "stopping: the trainer saves a checkpoint at the end of this step, then the run stops (Ctrl-C again kills it)",
  kill: "killing the trainer's processes now; the last saved checkpoint stays (Ctrl-C again to leave)",
  leave: "leaving without waiting for the run to end",
};

/** How to come back to a run, and how to stop it, once its viewer has left. */
export function detachedLine(runId: string | undefined): string {
  const id = runId ?? "<run-id>";
  return `detached: the run goes on.\n  stop it with:   trellis stop ${id}\n  reattach with:  trellis attach ${id}`;
}

/**
 * Ctrl-C presses from outside the view (SIGINT): hands each one to the listener. An AbortSignal
 * (compare's) is one press.
 */
export type Interrupts = (listener: () => void) => void;

function pressesOf(source: Interrupts | AbortSignal | undefined): Interrupts | undefined {
  if (!(source instanceof AbortSignal)) return source;
  return (listener) => (source.aborted ? listener() : source.addEventListener("abort", listener, { once: true }));
}

/** Follows a live run until it ends, the user detaches, or the supervisor is unreachable. */
export async function attachLive(
  target: AttachTarget,
  view: RunView,
  interrupts?: Interrupts | AbortSignal,
): Promise<ViewResult> {
  let status: FinalStatus | undefined;
  // Commands given before the connection is up (Ctrl-C while it starts) wait for it.
  let welcomed = false;
  const waiting: Command[] = [];
  let stopsSent = 0;
  const follower = followRun({
    url: target.url,
    token: target.token,
    onEvent: (e, meta) => {
      if (e.type === "run_end") status = e.status;
      view.write(e, meta);
    },
    onSkipped: (message) => (view.notice ?? warnOnStderr)(message),
    onWelcome: () => {
      if (welcomed) target.link?.back();
      welcomed = true;
      for (const c of waiting.splice(0)) follower.send(c);
    },
    ...(target.link ? { maxAttempts: target.link.maxAttempts, onReconnect: target.link.dropped } : {}),
  });
  const send = (c: Command) => {
    if (c === "stop") stopsSent++;
    if (welcomed) follower.send(c);
    else waiting.push(c);
  };
  view.bindCommands?.(send);
  let leave!: () => void;
  const left = new Promise<void>((resolve) => (leave = resolve));
  pressesOf(interrupts)?.(() => {
    const what = ctrlC(stopsSent, status === undefined);
    view.interrupted?.(what);
    if (what === "leave") leave();
    else send("stop");
  });
  const unwatch = target.runDir ? watchSupervisorBeat(target.runDir, (e) => view.write(e)) : () => {};
  const outcome = await Promise.race([
    follower.done.then(() => "done" as const),
    left.then(() => "detached" as const),
    view.detached?.then(() => "detached" as const) ?? new Promise<never>(() => {}),
  ]);
  unwatch();
  if (outcome === "detached") {
    await follower.stop();
    const result: ViewResult = { kind: "detached" };
    await view.close(result);
    return result;
  }
  const result: ViewResult = status ? { kind: "ended", status } : { kind: "lost" };
  await view.close(result);
  return result;
}

/** Replays a run that no supervisor serves any more (finished, or its supervisor died). */
export async function replayFinished(runDir: string, view: RunView): Promise<ViewResult> {
  const events = await readAllEvents(runFiles(runDir).events, (message) => (view.notice ?? warnOnStderr)(message));
  // Events before the latest run_resumed are earlier attempts: history, not the run's present.
  const attemptStart = events.findLast((e) => e.type === "run_resumed")?.seq ?? 0;
  for (const e of events) view.write(e, { history: e.seq < attemptStart });
  const end = events.findLast((e) => e.type === "run_end");
  const result: ViewResult = end && end.type === "run_end" ? { kind: "ended", status: end.status } : { kind: "lost" };
  await view.close(result);
  return result;
}

export function exitCodeOf(result: ViewResult): number {
  return result.kind === "ended" ? EXIT_CODES[result.status] : result.kind === "detached" ? 0 : 1;
}
