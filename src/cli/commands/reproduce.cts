/** `trellis reproduce`: the command table's entry (see spec.cts); the handler is src/cli/reproduce-command.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ENV_FLAGS, RUNS_DIR, SECTIONS } = shared;

const REPRODUCE = {
  name: "reproduce",
  synopsis: "reproduce <run>",
  summary: "run a recorded run again and compare its metrics with the original's",
  usage: ["reproduce <run-id> [--json] [--plain] [--runs-dir DIR]"],
  args: [{ name: "run-id", help: "the recorded run" }],
  description: `Runs a recorded run again from its manifest: the same recipe (the copy in the run directory),
the same locked environment, the same seeds. Before running it says what differs from the
original (data file hashes, installed packages, GPU model); after, it compares the metrics step
by step and reports the first step and metric that differ. Exit 0 when every metric matches.
--json prints that comparison as JSON.`,
  flags: {
    json: { type: "boolean", help: "print the comparison as JSON (not the event stream)" },
    plain: { type: "boolean", help: "a progress line instead of the dashboard" },
    "runs-dir": RUNS_DIR,
    ...ENV_FLAGS,
  },
  sections: { env: { ...SECTIONS.env, brief: "as for trellis run (the original's extras are added)" } },
  handler: { module: "./reproduce-command.js", export: "reproduceCommand" },
} as const satisfies CommandSpec;

export = REPRODUCE;
