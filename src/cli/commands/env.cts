/**
 * `trellis env`, `trellis env setup` and `trellis env doctor`: the command table's entries (see
 * spec.cts); the handlers are in src/cli/env-commands.ts.
 */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ENV_FLAGS } = shared;

const ENV = {
  name: "env",
  synopsis: "env <setup|doctor>",
  summary: "the managed Python environment: env setup creates it, env doctor reports on it",
  usage: ["env <setup|doctor> [options]"],
  args: [{ name: "setup|doctor", help: "the subcommand" }],
  description: `  setup    create the managed Python environment, or find it ready (see trellis env setup --help)
  doctor   report versions, CUDA and what is missing (see trellis env doctor --help)`,
  flags: {},
  handler: { module: "./env-commands.js", export: "envCommand" },
} as const satisfies CommandSpec;

const ENV_SETUP = {
  name: "env setup",
  synopsis: "env setup",
  summary: "create the managed Python environment (reused while the lock is unchanged)",
  usage: ["env setup [options]"],
  args: [],
  description: `Creates the managed venv from python/requirements.lock (exact pins), keyed by the lock's hash:
while the lock is unchanged, later runs reuse it and install nothing. With --extra, a second venv
for that set of extras is layered on it (python/extras/<name>.lock, installed once, reused after).`,
  flags: {
    ...ENV_FLAGS,
    force: { type: "boolean", help: "rebuild even if the environment looks ready", section: "env" },
  },
  sections: { env: { title: "Options:" } },
  handler: { module: "./env-commands.js", export: "envSetupCommand" },
} as const satisfies CommandSpec;

const ENV_DOCTOR = {
  name: "env doctor",
  synopsis: "env doctor",
  summary: "show python, torch (CUDA, GPU), TRL and friends, and what is wrong",
  usage: ["env doctor [options] [--json]"],
  args: [],
  description: `Prints python, torch (CUDA available? which GPU), transformers, trl, peft, datasets and
accelerate versions of the managed environment, and what is missing or mismatched.`,
  flags: {
    ...ENV_FLAGS,
    json: { type: "boolean", help: "the report as JSON", section: "env" },
  },
  sections: { env: { title: "Options:" } },
  handler: { module: "./env-commands.js", export: "envDoctorCommand" },
} as const satisfies CommandSpec;

export = { ENV, ENV_SETUP, ENV_DOCTOR };
