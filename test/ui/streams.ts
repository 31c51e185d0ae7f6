/** Recorded event streams (test/fixtures/streams) and a store already fed with them. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { decodeRunEvent, type RunEvent } from "../../src/core/events/protocol.js";
import { createDashboardStore, type DashboardStore } from "../../src/ui/dashboard/store.js";

export const STREAMS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "test",
  "fixtures",
  "streams",
);

/** A recorded stream's events, decoded as the app decodes events.jsonl (non-finite metrics become numbers). */
export function stream(name: string): RunEvent[] {
  return readFileSync(path.join(STREAMS, name), "utf8")
    .trim()
    .split("\n")
    .map((l, i) => {
      const decoded = decodeRunEvent(JSON.parse(l));
      if (!decoded.ok) throw new Error(`${name}:${i + 1}: ${decoded.error}`);
      return decoded.event;
    });
}

/** Events up to and including the first one that matches. */
export function until(events: RunEvent[], match: (e: RunEvent) => boolean): RunEvent[] {
  const i = events.findIndex(match);
  return i < 0 ? events : events.slice(0, i + 1);
}

/** A store fed with these events, published, plus the clock of the last event. */
export function storeWith(events: RunEvent[]): { store: DashboardStore; now: () => number } {
  const store = createDashboardStore();
  for (const e of events) store.push(e);
  store.flush();
  const t = store.getState().lastTime ?? 0;
  return { store, now: () => t };
}

export const ANSI = /\u001b\[[0-9;]*m/g;
export const visible = (s: string) => s.replace(ANSI, "");
/** Terminal cells of a line; every glyph the dashboard draws is one cell wide. */
export const cells = (line: string) => [...visible(line)].length;

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Retries `check` (an assertion) until it passes or `timeoutMs` runs out, then throws its last
 * error. Tests wait for what they expect this way rather than sleeping a fixed time.
 */
export async function waitFor(check: () => void, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > end) throw error;
    }
    await delay(5);
  }
}
