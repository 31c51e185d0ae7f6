/** `trellis resume`: the command table's entry (see spec.cts); the handler is src/cli/resume-command.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ON_HOST, RUNS_DIR } = shared;

const RESUME = {
  name: "resume",
  synopsis: "resume <run>",
  summary: "continue a stopped or failed run from its newest complete checkpoint",
  usage: ["resume <run-id> [--force] [--json] [--plain] [--runs-dir DIR]"],
  args: [{ name: "run-id", help: "the stopped or failed run" }],
  description: `Continues a stopped or failed run in its own directory: stages that finished are skipped; the
stage that was running continues from its newest complete checkpoint (with optimizer, scheduler
and RNG state; a checkpoint cut short is skipped, and so is one trellis did not write). Refuses
when the recipe or the environment lock changed since the run started, unless --force.`,
  flags: {
    force: { type: "boolean", help: "resume even though the recipe or the environment lock changed" },
    detach: { type: "boolean", help: 'resume the run and print {"run","dir","url"} as one JSON line; watch nothing' },
    on: ON_HOST,
    json: { type: "boolean", help: "print events as JSON lines instead of the dashboard" },
    plain: { type: "boolean", help: "a progress line instead of the dashboard" },
    "runs-dir": RUNS_DIR,
  },
  handler: { module: "./resume-command.js", export: "resumeCommand" },
} as const satisfies CommandSpec;

export = RESUME;
