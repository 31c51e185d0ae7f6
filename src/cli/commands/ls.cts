/** `trellis ls`: the command table's entry (see spec.cts); the handler is src/cli/ls-command.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ON_HOST, RUNS_DIR } = shared;

const LS = {
  name: "ls",
  synopsis: "ls",
  summary: "list runs: status (failing stage, reason), steps, time, accuracy",
  usage: ["ls [--json] [--runs-dir DIR]"],
  args: [],
  description: `Lists runs: status (running, finished, failed or stopped, with the stage it happened in), trainer,
steps of the stage that ran last out of its total, duration, held-out preference accuracy after
the last stage, start time and, for a run that did not finish, the reason in one line.`,
  flags: {
    json: { type: "boolean", help: "the runs as one JSON list" },
    "runs-dir": RUNS_DIR,
    on: ON_HOST,
  },
  handler: { module: "./ls-command.js", export: "lsCommand" },
} as const satisfies CommandSpec;

export = LS;
