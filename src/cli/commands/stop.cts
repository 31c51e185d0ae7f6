/** `trellis stop`: the command table's entry (see spec.cts); the handler is src/cli/stop-command.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ON_HOST, RUNS_DIR } = shared;

const STOP = {
  name: "stop",
  synopsis: "stop <run>",
  summary: "stop a run gracefully from any terminal: a checkpoint, then stopped",
  usage: ["stop <run-id> [--runs-dir DIR]"],
  args: [{ name: "run-id", help: "the running run" }],
  description: `Stops a running run gracefully, from any terminal: the trainer saves a checkpoint at the end of
the current step and the run ends stopped (continue it with trellis resume). Waits for the run
to end, then prints its summary; Ctrl-C while it waits kills the trainer's processes. Exit 0 once
the run has ended; a run that is not running is left as it is.`,
  flags: { "runs-dir": RUNS_DIR, on: ON_HOST },
  handler: { module: "./stop-command.js", export: "stopCommand" },
} as const satisfies CommandSpec;

export = STOP;
