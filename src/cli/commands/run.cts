/** `trellis run`: the command table's entry (see spec.cts); the handler is src/cli/run-command.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ENV_FLAGS, LAUNCH_FLAGS, ON_HOST, SECTIONS, SLURM_FLAGS } = shared;

const RUN = {
  name: "run",
  synopsis: "run <recipe.yaml>",
  summary: "validate, render and run a recipe's stages; events in runs/<id>/",
  usage: ["run <recipe.yaml> [options]"],
  args: [
    { name: "recipe.yaml", help: "the recipe (or a TRL, handbook, axolotl or LLaMA-Factory config, imported first)" },
  ],
  description: `Validates the recipe (nothing starts when it is wrong), sets up or reuses the managed Python
environment, renders the stages into runs/<run-id>/scripts and runs them in order. Everything
lands in runs/<run-id>/: recipe.yaml, recipe.resolved.yaml, scripts/, logs/, trellis.log and
events.jsonl.

A supervisor process owns the stages and serves the run's events on a websocket (127.0.0.1,
an ephemeral port, a random token in runs/<id>/token). It is detached from the terminal: closing
the terminal or losing SSH does not stop training; \`trellis attach\` reconnects. Ctrl-C (or s
in the dashboard) stops gracefully: the trainer saves a checkpoint at the end of the step, and
the run is stopped (resumable); a second Ctrl-C kills the trainer's processes. q in the
dashboard detaches: training goes on (\`trellis stop <run-id>\` stops it).`,
  flags: {
    json: { type: "boolean", help: "print events as JSON lines on stdout (the default without a TTY)" },
    plain: {
      type: "boolean",
      help: "plain text instead of the dashboard: progress lines, phases, notices and health alerts as they happen, then the summary (on stderr), also when piped (nohup, Slurm logs)",
    },
    foreground: { type: "boolean", help: "keep the supervisor in this process (it ends with the terminal)" },
    detach: { type: "boolean", help: 'start the run and print {"run","dir","url"} as one JSON line; watch nothing' },
    on: { ...ON_HOST, help: "run it on a GPU server over your own ssh, watched here (docs/remote.md)" },
    host: { type: "string", value: "HOST", help: "listen on another interface (warns: prefer an SSH tunnel)" },
    port: { type: "string", value: "PORT", default: "any free port", help: "listen on this port" },
    "allow-origin": {
      type: "string",
      multiple: true,
      value: "URL",
      default: "none",
      help: "accept websocket handshakes from this browser origin",
    },
    "runs-dir": {
      type: "string",
      value: "DIR",
      default: "$TRELLIS_RUNS_DIR or ./runs",
      help: "where run directories go",
    },
    env: {
      type: "string",
      value: "PATH",
      default: "$TRELLIS_ENV",
      help: "run in this existing environment (its folder or its python) as it is, installing nothing; the stages are rendered for its TRL. Not --python, the base Python of the managed venv",
    },
    ...ENV_FLAGS,
    ...LAUNCH_FLAGS,
    ...SLURM_FLAGS,
  },
  sections: SECTIONS,
  handler: { module: "./run-command.js", export: "runCommand" },
} as const satisfies CommandSpec;

export = RUN;
