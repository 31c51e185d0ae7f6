/**
 * The dashboard as a run view: events go into the batched store, keys come back as commands,
 * `q` detaches. When the run ends, the dashboard leaves the screen and the final summary is
 * printed into the normal scrollback. In review (a finished run replayed), the dashboard stays
 * on the recorded history until `q`.
 */
import { detachedLine, type RunView, type ViewResult } from "../app/attach.js";
import type { Command } from "../core/events/wire.js";
import { createDashboardStore, finalSummary, mountDashboard } from "./dashboard/index.js";
import { colorEnabled } from "./format.js";
import { shownEvent } from "./shown-event.js";

export function dashboardView(options: { review?: boolean } = {}): RunView {
  const store = createDashboardStore();
  let send: (c: Command) => void = () => {};
  let detach!: () => void;
  const detached = new Promise<void>((resolve) => (detach = resolve));
  const mounted = mountDashboard({
    store,
    review: options.review,
    onCommand: (c) => {
      if (c === "detach") detach();
      else send(c);
    },
  });
  return {
    write: (e) => store.push(shownEvent(e)),
    // trellis's own lines (a dropped ssh link and its return, a damaged event line skipped) go into the
    // dashboard's notices: written to stderr they would tear the screen Ink draws.
    // seq 0: not one of the run's numbered events (lastSeq keeps the run's own).
    notice: (text) =>
      store.push(
        shownEvent({ type: "notice", seq: 0, time: Date.now() / 1000, stage: null, code: "view", message: text }),
      ),
    bindCommands: (s) => (send = s),
    detached,
    async close(result: ViewResult) {
      store.flush();
      if (options.review) await detached;
      mounted.unmount();
      const state = store.getState();
      const columns = process.stdout.columns;
      if (result.kind === "ended")
        process.stdout.write(`${finalSummary(state, { color: colorEnabled(process.stdout), columns })}\n`);
      else if (result.kind === "detached") process.stdout.write(`${detachedLine(state.run.runId ?? undefined)}\n`);
      else
        process.stdout.write(
          `lost contact with the run's supervisor; see ${state.run.runDir ?? "the run directory"}/supervisor.log\n`,
        );
      store.dispose();
    },
  };
}
