/**
 * The supervisor's stall watchdog for one stage: it consumes the trainer's heartbeats, and when
 * neither progress nor a heartbeat has come for the timeout (src/core/health/stall.ts) it records
 * a `stalled` notice, which every view turns into a `stalled` alert; a `stall_cleared` notice
 * follows when the stage speaks again.
 */
import type { StageEvent } from "../core/events/protocol.js";
import {
  newStallClock,
  observeStageEvent,
  parseStallSeconds,
  STALL_SECONDS_ENV,
  stalledFor,
  stallTimeout,
  type StallClock,
} from "../core/health/stall.js";
import { STALL_CLEARED_CODE, STALLED_CODE, stalledMessage } from "../core/health/stall-alert.js";
import { now, type EventBus } from "./event-bus.js";

/** The heartbeat notice's code (python/trellis_runtime/heartbeat.py). */
const HEARTBEAT_CODE = "heartbeat";
/**
 * A stage's last words: after these it only exits, and interpreter teardown (torch's included)
 * can hold the GIL for seconds with nothing left to lose. The watch ends there.
 */
const FINAL_EVENTS: ReadonlySet<StageEvent["type"]> = new Set(["saved", "stopped", "error"]);
/** How often the watchdog looks: a stall is reported within a second of its timeout. */
const WATCH_POLL_MS = 1_000;
/**
 * A tick this late means the supervisor itself was paused (SIGSTOP, a frozen machine): the
 * stage's events wait unread in the pipe, so its silence is unknown and is counted afresh.
 */
const SELF_PAUSE_S = 5;

interface StallWatch {
  /** Notes a stage event; true for a heartbeat, which is consumed here and not recorded. */
  observe(event: StageEvent): boolean;
  stop(): void;
}

export function watchStalls(stage: string, bus: EventBus, env: NodeJS.ProcessEnv = process.env): StallWatch {
  const configured = parseStallSeconds(env[STALL_SECONDS_ENV]);
  let clock: StallClock = newStallClock(now());
  let stalled = false;
  let lastTick = now();
  const speak = (code: string, message: string) => bus.emit({ type: "notice", time: now(), stage, code, message });
  const timer = setInterval(() => {
    const at = now();
    if (at - lastTick > SELF_PAUSE_S) clock = observeStageEvent(clock, at, true);
    lastTick = at;
    const silent = stalledFor(clock, at, configured);
    if (silent === null || stalled) return;
    stalled = true;
    const timeout = stallTimeout(clock, configured);
    speak(STALLED_CODE, stalledMessage(stage, silent, timeout));
  }, WATCH_POLL_MS);
  timer.unref();
  return {
    observe(event) {
      const beat = event.type === "notice" && event.code === HEARTBEAT_CODE;
      const at = now();
      if (stalled) {
        stalled = false;
        const silent = at - Math.max(clock.startedAt, clock.lastProgress ?? 0, clock.lastBeat ?? 0);
        speak(STALL_CLEARED_CODE, `stage '${stage}' responds again after ${Math.round(silent)} s of silence`);
      }
      const step = "step" in event && typeof event.step === "number" ? event.step : undefined;
      clock = observeStageEvent(clock, at, beat, event.type === "metrics" ? step : undefined);
      if (FINAL_EVENTS.has(event.type)) clearInterval(timer);
      return beat;
    },
    stop: () => clearInterval(timer),
  };
}
