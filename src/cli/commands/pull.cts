/** `trellis pull`: the command table's entry (see spec.cts); the handler is src/cli/remote-commands.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ON_HOST } = shared;

const PULL = {
  name: "pull",
  synopsis: "pull <run> --on HOST",
  summary: "copy a run folder (--model: and its model) back from a server",
  usage: ["pull [run-id] --on HOST [--model] [--to DIR]"],
  args: [{ name: "run-id", optional: true, help: "the run on the server (default: its latest)" }],
  description: `Copies a run folder from a server back here with rsync over your ssh (into runs/<host>/<run-id>
unless --to), with progress; a cut copy resumes where it stopped when run again. Checkpoints stay
on the server. Without --model the final model (the run's output/) stays there too.`,
  flags: {
    on: { ...ON_HOST, help: "the server the run is on (as for run --on)" },
    model: { type: "boolean", help: "bring the final model or adapter as well (output/ in the run folder)" },
    to: { type: "string", value: "DIR", default: "runs/<host>", help: "where the run folder goes" },
  },
  handler: { module: "./remote-commands.js", export: "pullCommand" },
} as const satisfies CommandSpec;

export = PULL;
