/**
 * The dashboard's store: events fold in as they come, views read snapshots. Listeners hear of
 * changes at most every `intervalMs` (15 frames a second by default) however fast events
 * arrive, because Ink lays out the whole tree on every update; `run_end` is published at once so
 * the final frame never waits. Fits React's `useSyncExternalStore`: `getSnapshot` returns the
 * same object until the next publish.
 */
import type { RunEvent } from "../../core/events/protocol.js";
import type { HealthOptions } from "../../core/health/options.js";
import { initialDashboardState, reduceDashboard, type DashboardState } from "../../core/run/dashboard-state.js";

/** ~15 frames a second: smooth enough to look live, cheap enough for Ink (docs/design/STYLE.md, render budget). */
export const PUBLISH_INTERVAL_MS = 66;

export interface DashboardStoreOptions {
  intervalMs?: number;
  health?: Partial<HealthOptions>;
  /** Clock and timers, replaceable in tests. */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface DashboardStore {
  push(event: RunEvent): void;
  subscribe(listener: () => void): () => void;
  /** The last published state: stable between notifications. */
  getSnapshot(): DashboardState;
  /** Every event folded so far, published or not. */
  getState(): DashboardState;
  /** Publishes now if anything is pending. */
  flush(): void;
  /** Cancels a pending publish (the state stays readable). */
  dispose(): void;
}

export function createDashboardStore(options: DashboardStoreOptions = {}): DashboardStore {
  const interval = options.intervalMs ?? PUBLISH_INTERVAL_MS;
  const now = options.now ?? Date.now;
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const listeners = new Set<() => void>();
  let state = initialDashboardState(options.health);
  let published = state;
  let lastPublish = -Infinity;
  let timer: unknown = null;

  const publish = () => {
    if (timer !== null) clearTimer(timer);
    timer = null;
    if (published === state) return;
    published = state;
    lastPublish = now();
    for (const l of [...listeners]) l();
  };

  return {
    push(event) {
      state = reduceDashboard(state, event);
      if (event.type === "run_end") return publish();
      if (timer !== null) return;
      const wait = Math.max(0, lastPublish + interval - now());
      timer = setTimer(publish, wait);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => published,
    getState: () => state,
    flush: publish,
    dispose() {
      if (timer !== null) clearTimer(timer);
      timer = null;
    },
  };
}
