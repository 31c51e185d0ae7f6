/**
 * The stall watchdog's rule, pure: given when a stage last made progress or sent a heartbeat,
 * is it stalled now? A healthy trainer beats every few seconds from a thread even inside a long
 * step (python/trellis_runtime/heartbeat.py); a stopped one (SIGSTOP, a process frozen in a
 * call that holds the GIL) sends nothing. Times are in seconds.
 */

/** With no timeout configured, a stage is stalled after this long at least: a slow disk pauses for seconds. */
export const MIN_STALL_SECONDS = 60;
/** ...or after this many median steps, whichever is longer: a slow step is not a stall. */
const STALL_STEP_MULTIPLE = 10;
/**
 * Before the first step ends, the timeout is at least this long: until the heartbeat thread
 * starts (Python imports torch first) and while a model loads in calls that hold the GIL, a
 * healthy stage can be silent for minutes.
 */
export const STARTUP_STALL_SECONDS = 300;
/** The environment variable that sets the timeout (seconds) for every stage; tests set ~5. */
export const STALL_SECONDS_ENV = "TRELLIS_STALL_SECONDS";
/** Step durations the default timeout is taken from: the recent ones, bounded memory. */
const STEP_TIMES_KEPT = 50;

export interface StallClock {
  /** When the stage started (its process was launched). */
  startedAt: number;
  /** The last event the stage sent that is not a heartbeat; null before any. */
  lastProgress: number | null;
  /** The last heartbeat; null before any. */
  lastBeat: number | null;
  /** Whether a training step has ended (metrics or progress with a step > 0). */
  stepped: boolean;
  /** Durations of recent steps, for the default timeout. */
  stepSeconds: readonly number[];
  /** The latest step reported and when: the next step's duration is measured from it. */
  lastStep: { step: number; time: number } | null;
}

export const newStallClock = (startedAt: number): StallClock => ({
  startedAt,
  lastProgress: null,
  lastBeat: null,
  stepped: false,
  stepSeconds: [],
  lastStep: null,
});

/** The timeout in force: the configured one, else from the step time seen; a floor until the first step. */
export function stallTimeout(clock: StallClock, configured: number | null): number {
  const base = configured ?? Math.max(MIN_STALL_SECONDS, STALL_STEP_MULTIPLE * median(clock.stepSeconds));
  return clock.stepped ? base : Math.max(base, STARTUP_STALL_SECONDS);
}

/** Seconds of silence (no progress, no heartbeat) when they reach the timeout, else null. */
export function stalledFor(clock: StallClock, now: number, configured: number | null): number | null {
  const last = Math.max(clock.startedAt, clock.lastProgress ?? -Infinity, clock.lastBeat ?? -Infinity);
  const silent = now - last;
  return silent >= stallTimeout(clock, configured) ? silent : null;
}

/** A configured timeout from the environment's text: positive seconds, else null (the default). */
export function parseStallSeconds(text: string | undefined): number | null {
  if (text === undefined || text.trim() === "") return null;
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : null;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The clock after one event from the stage at `time`; `step` is the step it reports, if any. */
export function observeStageEvent(clock: StallClock, time: number, beat: boolean, step?: number): StallClock {
  if (beat) return { ...clock, lastBeat: time };
  const next: StallClock = { ...clock, lastProgress: time };
  if (step !== undefined && step > 0) {
    // A step's duration: the time since the previous step-bearing event, divided over the steps in between.
    const prev = clock.lastStep;
    if (prev && step > prev.step)
      next.stepSeconds = [...clock.stepSeconds, (time - prev.time) / (step - prev.step)].slice(-STEP_TIMES_KEPT);
    next.stepped = true;
    next.lastStep = { step, time };
  }
  return next;
}
