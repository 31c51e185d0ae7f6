/** Ctrl-C for the commands that attach to a run (run, resume, reproduce, attach, stop). */
import type { Interrupts } from "../app/attach.js";

/**
 * Ctrl-C as SIGINT (the plain views; the dashboard reads it as a key): each press goes to the
 * attached view, which applies the one rule (app/attach.ts ctrlC). Presses before it attaches wait.
 */
export function interruptSignal(): Interrupts {
  let pending = 0;
  let listener: (() => void) | undefined;
  process.on("SIGINT", () => (listener ? listener() : pending++));
  return (l) => {
    listener = l;
    for (; pending > 0; pending--) l();
  };
}
