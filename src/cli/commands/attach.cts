/** `trellis attach`: the command table's entry (see spec.cts); the handler is src/cli/attach-command.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ON_HOST, RUNS_DIR } = shared;

const ATTACH = {
  name: "attach",
  synopsis: "attach [run | ws://..]",
  summary: "watch a run live, or review a finished one; q detaches, Ctrl-C stops",
  usage: ["attach [run-id | ws://host:port] [options]"],
  args: [
    {
      name: "run-id | ws://host:port",
      optional: true,
      help: "a run in the runs folder (default: the latest), or a supervisor's address",
    },
  ],
  description: `Shows a run: live while its supervisor runs (history first, then new events). A finished,
failed or stopped run opens in the dashboard for review: its whole recorded history, every
stage's tab (t), zoom in time (+ -, arrows), smoothing (e), log-Y (y), x axis (x), filter (/);
q leaves and prints the summary. Without a run id, the latest run. Keys while live: q detach
(training continues), Ctrl-C stop (a checkpoint, then stopped; again: kill), s stop (asks to
confirm), c checkpoint now, ? help. With --plain, Ctrl-C stops the same way.`,
  flags: {
    summary: { type: "boolean", help: "a finished run's summary as text, without the dashboard" },
    on: ON_HOST,
    token: {
      type: "string",
      value: "TOKEN",
      default: "$TRELLIS_TOKEN",
      help: "the run's token, for a ws:// address",
    },
    json: { type: "boolean", help: "print events as JSON lines instead of the dashboard" },
    plain: { type: "boolean", help: "a progress line instead of the dashboard" },
    "runs-dir": RUNS_DIR,
  },
  handler: { module: "./attach-command.js", export: "attachCommand" },
} as const satisfies CommandSpec;

export = ATTACH;
