/**
 * Viewing a run: live over the websocket while its supervisor runs, or replayed from
 * events.jsonl once it has finished. The view is a sink of events; the dashboard, the progress
 * line and the JSON printer all plug in the same way.
 */
import type { RunEvent } from "../core/events/protocol.js";
import type { Command } from "../core/events/wire.js";
import { readAllEvents } from "../adapters/event-file.js";
import { followRun } from "../adapters/ws-client.js";
import { files } from "./launch.js";
import { watchSupervisorBeat } from "./supervisor-watch.js";
import { EXIT_CODES, type FinalStatus } from "./supervisor.js";

export interface RunView {
  write(event: RunEvent): void;
  /** The view's way to send commands (keys in the dashboard). */
  bindCommands?(send: (c: Command) => void): void;
  /** Resolves when the user detaches from the view (q in the dashboard). */
  detached?: Promise<void>;
  close(result: ViewResult): void | Promise<void>;
}

export type ViewResult = { kind: "ended"; status: FinalStatus } | { kind: "detached" } | { kind: "lost" };

export interface AttachTarget {
  url: string;
  token: string;
  /** The run's folder, when known: its supervisor's beat is watched (supervisor-watch.ts). */
  runDir?: string;
}

/** Follows a live run until it ends, the user detaches, or the supervisor is unreachable. */
export async function attachLive(target: AttachTarget, view: RunView, interrupt?: AbortSignal): Promise<ViewResult> {
  let status: FinalStatus | undefined;
  const follower = followRun({
    url: target.url,
    token: target.token,
    onEvent: (e) => {
      if (e.type === "run_end") status = e.status;
      view.write(e);
    },
  });
  view.bindCommands?.((c) => follower.send(c));
  const unwatch = target.runDir ? watchSupervisorBeat(target.runDir, (e) => view.write(e)) : () => {};
  interrupt?.addEventListener("abort", () => follower.send("stop"), { once: true });
  const outcome = await Promise.race([
    follower.done.then(() => "done" as const),
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
  const events = await readAllEvents(files(runDir).events);
  for (const e of events) view.write(e);
  const end = events.findLast((e) => e.type === "run_end");
  const result: ViewResult = end && end.type === "run_end" ? { kind: "ended", status: end.status } : { kind: "lost" };
  await view.close(result);
  return result;
}

export function exitCodeOf(result: ViewResult): number {
  return result.kind === "ended" ? EXIT_CODES[result.status] : result.kind === "detached" ? 0 : 1;
}
