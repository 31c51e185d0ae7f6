import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Text } from "ink";
import { render } from "ink-testing-library";
import { useSyncExternalStore } from "react";
import type { RunEvent } from "../../../src/core/events/protocol.js";
import { createDashboardStore, type DashboardStore } from "../../../src/ui/dashboard/store.js";
import { stream, waitFor } from "../streams.js";

/** A hand-driven clock and timer queue. */
function fakeTime() {
  let t = 0;
  const timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let ids = 0;
  return {
    now: () => t,
    setTimer: (fn: () => void, ms: number) => {
      const id = ++ids;
      timers.push({ at: t + ms, fn, id });
      return id;
    },
    clearTimer: (id: unknown) => {
      const i = timers.findIndex((x) => x.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
    advance(ms: number) {
      t += ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > t) return;
        timers.shift();
        next.fn();
      }
    },
    pending: () => timers.length,
  };
}

const metrics = (step: number): RunEvent => ({
  type: "metrics",
  time: step,
  stage: "sft",
  step,
  max_steps: 1000,
  epoch: null,
  metrics: { loss: 1 / step },
  seq: step,
});

describe("dashboard store", () => {
  it("notifies at most once per interval however fast events arrive", () => {
    const clock = fakeTime();
    const store = createDashboardStore({ intervalMs: 66, ...clock });
    let calls = 0;
    store.subscribe(() => calls++);
    for (let i = 1; i <= 1000; i++) store.push(metrics(i));
    assert.equal(calls, 0, "nothing synchronously");
    clock.advance(0);
    assert.equal(calls, 1, "the first batch goes out on the next tick");
    for (let ms = 0; ms < 1000; ms += 5) {
      store.push(metrics(1000 + ms));
      clock.advance(5);
    }
    assert.ok(calls <= 1 + Math.ceil(1000 / 66), `${String(calls)} notifications in 1 s`);
    assert.ok(calls >= 10);
  });

  it("keeps the snapshot stable between notifications", () => {
    const clock = fakeTime();
    const store = createDashboardStore(clock);
    store.push(metrics(1));
    clock.advance(100);
    const snap = store.getSnapshot();
    store.push(metrics(2));
    assert.equal(store.getSnapshot(), snap, "unpublished events don't change the snapshot");
    assert.notEqual(store.getState(), snap);
    clock.advance(100);
    assert.notEqual(store.getSnapshot(), snap);
    assert.equal(store.getSnapshot(), store.getState());
  });

  it("publishes run_end at once", () => {
    const clock = fakeTime();
    const store = createDashboardStore(clock);
    let calls = 0;
    store.subscribe(() => calls++);
    store.push(metrics(1));
    store.push({ type: "run_end", time: 2, status: "finished", seq: 2 });
    assert.equal(calls, 1);
    assert.equal(store.getSnapshot().run.status, "finished");
    assert.equal(clock.pending(), 0, "no timer left behind");
  });

  it("stops notifying an unsubscribed listener", () => {
    const clock = fakeTime();
    const store = createDashboardStore(clock);
    let calls = 0;
    const off = store.subscribe(() => calls++);
    off();
    store.push(metrics(1));
    clock.advance(100);
    assert.equal(calls, 0);
  });

  it("drives React through useSyncExternalStore", async () => {
    const store = createDashboardStore({ intervalMs: 10 });
    function Step({ s }: { s: DashboardStore }) {
      const state = useSyncExternalStore(s.subscribe, s.getSnapshot);
      return <Text>events {state.version}</Text>;
    }
    const app = render(<Step s={store} />);
    assert.equal(app.lastFrame(), "events 0");
    const events = stream("orpo.jsonl");
    for (const e of events) store.push(e);
    await waitFor(() => assert.equal(app.lastFrame(), `events ${events.length}`));
    app.unmount();
  });
});
