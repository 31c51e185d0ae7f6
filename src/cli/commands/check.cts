/** `trellis check`: the command table's entry (see spec.cts); the handler is src/cli/check-command.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ENV_FLAGS, ON_HOST } = shared;

const CHECK = {
  name: "check",
  synopsis: "check <recipe.yaml>",
  summary: "check the recipe, every data row, the model and the disk; run nothing",
  usage: ["check <recipe.yaml> [--trl-version X.Y] [--extra NAME]... [--json]"],
  args: [{ name: "recipe.yaml", help: "the recipe (or a foreign config, checked as run imports it)" }],
  description: `Everything that would fail in a run's first minutes, each problem as file:line:col: message.
The recipe (keys, types, TRL arguments for the targeted TRL version, stage links); every row of
every local data file (JSON, kinds of values, message roles, empty or identical answers, one
shape per file, up to 20 problems a file); the model without loading its weights (LoRA target
modules, a chat template for chat data) where it is local or cached; free disk space for what
the run saves; every package the arguments need (report_to trackers, 8-bit optimizers,
DeepSpeed, Liger, flash attention) in the lock or in the extras asked for. Prints each data
file's shape and what will be done with it. Runs no Python.`,
  flags: {
    "trl-version": { type: "string", value: "X.Y", help: "check TRL arguments against this version" },
    on: {
      ...ON_HOST,
      help: "check the recipe, its data as sent, the model, disk and packages on a server (docs/remote.md)",
    },
    extra: {
      type: "string",
      multiple: true,
      value: ENV_FLAGS.extra.value,
      help: "an optional package set the run will have (repeatable)",
    },
    json: { type: "boolean", help: "the result, errors included, as one JSON document on stdout" },
  },
  notes: "Exit codes: 0 ok, 2 a problem with the recipe, data, model or packages.",
  handler: { module: "./check-command.js", export: "checkCommand" },
} as const satisfies CommandSpec;

export = CHECK;
