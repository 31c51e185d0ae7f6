/**
 * The `stalled` alert, from the supervisor's `stalled` and `stall_cleared` notices
 * (src/app/stall-watch.ts): raised when a stage falls silent, cleared when it speaks again.
 */
import type { RunEvent } from "../events/protocol.js";
import type { Alert } from "./alert.js";

export const STALLED_CODE = "stalled";
export const STALL_CLEARED_CODE = "stall_cleared";

/** The alert a `stalled` notice raises, or the stage a clearing notice (or the stage's end) clears. */
function stallAlertOf(event: RunEvent): { raise: Alert } | { clear: string } | null {
  if (event.type === "notice" && event.code === STALLED_CODE)
    return {
      raise: { id: "stalled", severity: "error", stage: event.stage ?? null, step: null, message: event.message },
    };
  if (event.type === "notice" && event.code === STALL_CLEARED_CODE && event.stage) return { clear: event.stage };
  if (event.type === "stage_end") return { clear: event.stage };
  return null;
}

interface AlertList {
  alerts: readonly Alert[];
  alertCount: { warn: number; error: number };
}

/** The alerts after `event`: a stall's alert added, or taken away again once the stage speaks. */
export function foldStallAlert(state: AlertList, event: RunEvent): AlertList {
  const found = stallAlertOf(event);
  if (!found) return state;
  if ("raise" in found) {
    const { alertCount: c } = state;
    return { alerts: [...state.alerts, found.raise], alertCount: { ...c, error: c.error + 1 } };
  }
  const cleared = state.alerts.filter((a) => !(a.id === "stalled" && a.stage === found.clear));
  if (cleared.length === state.alerts.length) return state;
  const gone = state.alerts.length - cleared.length;
  return { alerts: cleared, alertCount: { ...state.alertCount, error: state.alertCount.error - gone } };
}

/** The `stalled` notice's message; `silenceOf` reads its seconds back (for `trellis ls`). */
export function stalledMessage(stage: string, silent: number, timeout: number): string {
  return `stage '${stage}' stalled: no progress and no heartbeat for ${Math.round(silent)} s (timeout ${Math.round(timeout)} s); the trainer is stopped (SIGSTOP, a debugger) or frozen in a call (a hung collective, a stuck filesystem): look with py-spy dump or strace, or stop the run (its checkpoints are kept)`;
}

export function silenceOf(message: string): number {
  const m = /no heartbeat for (\d+) s/.exec(message);
  return m ? Number(m[1]) : 0;
}

/** A stall not yet cleared: which stage, and since when it was silent. */
export interface OpenStall {
  stage: string;
  silentSince: number;
}

/** Folds events into the stall still open at the end, if any (`trellis ls`). */
export function foldOpenStall(open: OpenStall | null, event: RunEvent): OpenStall | null {
  const found = stallAlertOf(event);
  if (found && "raise" in found)
    return { stage: found.raise.stage ?? "", silentSince: event.time - silenceOf(found.raise.message) };
  if (found && open && found.clear === open.stage) return null;
  return event.type === "run_end" || event.type === "run_resumed" ? null : open;
}
