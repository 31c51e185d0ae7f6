/** `trellis render`: the command table's entry (see spec.cts); the handler is src/cli/render-command.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ENV_FLAGS, LAUNCH_FLAGS, SECTIONS, SLURM_FLAGS } = shared;

const RENDER = {
  name: "render",
  synopsis: "render <recipe.yaml>",
  summary: "write each stage's standalone TRL script (and its JSON values)",
  usage: ["render <recipe.yaml> [--out DIR] [--trl-version X.Y]"],
  args: [{ name: "recipe.yaml", help: "the recipe" }],
  description: `Writes, for each stage, stage-<n>-<id>.py (a readable TRL script that runs with plain python)
and stage-<n>-<id>.json (every recipe value, read by the script as data), plus the small
trellis_runtime helpers they import.`,
  flags: {
    out: {
      type: "string",
      short: "o",
      value: "DIR",
      default: "./rendered/<recipe name>",
      help: "output folder",
    },
    "trl-version": {
      type: "string",
      value: "X.Y",
      default: "the managed environment's pin",
      help: "render for this TRL version",
    },
    json: { type: "boolean", help: "print what was written as JSON" },
    ...LAUNCH_FLAGS,
    ...SLURM_FLAGS,
    ...ENV_FLAGS,
  },
  sections: {
    launch: { ...SECTIONS.launch, brief: "as for trellis run" },
    slurm: {
      ...SECTIONS.slurm,
      brief:
        "as for trellis run --slurm: --slurm also writes slurm/<stage>/job.sbatch (not submitted), for the managed environment's Python (set up if needed)",
    },
    env: { ...SECTIONS.env, brief: "as for trellis run (with --slurm)" },
  },
  handler: { module: "./render-command.js", export: "renderCommand" },
} as const satisfies CommandSpec;

export = RENDER;
