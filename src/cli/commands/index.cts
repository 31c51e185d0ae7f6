/**
 * trellis's command table: every command, in the order `trellis --help` lists them. Each entry's
 * file says its flags, arguments, help and handler (the shape: spec.cts). CommonJS, as are the
 * entries, so that bin/trellis.js answers `trellis --help` without the ESM loader.
 */
import ATTACH = require("./attach.cjs");
import CHECK = require("./check.cjs");
import COMPARE = require("./compare.cjs");
import env = require("./env.cjs");
import EVAL = require("./eval.cjs");
import EXPORT = require("./export.cjs");
import HOSTS = require("./hosts.cjs");
import IMPORT = require("./import.cjs");
import LOGS = require("./logs.cjs");
import LS = require("./ls.cjs");
import MERGE = require("./merge.cjs");
import PLAN = require("./plan.cjs");
import PULL = require("./pull.cjs");
import RENDER = require("./render.cjs");
import REPRODUCE = require("./reproduce.cjs");
import RESUME = require("./resume.cjs");
import RUN = require("./run.cjs");
import type { CommandSpec } from "./spec.cjs";
import STOP = require("./stop.cjs");

const { ENV, ENV_SETUP, ENV_DOCTOR } = env;

const COMMANDS: readonly CommandSpec[] = [
  RUN,
  REPRODUCE,
  RESUME,
  ATTACH,
  STOP,
  LS,
  LOGS,
  COMPARE,
  EVAL,
  IMPORT,
  EXPORT,
  MERGE,
  RENDER,
  CHECK,
  PLAN,
  ENV,
  ENV_SETUP,
  ENV_DOCTOR,
  PULL,
  HOSTS,
];

/** The same entries by name, their types kept: what `parse(args, "run")` (args.ts) reads. */
const BY_NAME = {
  run: RUN,
  reproduce: REPRODUCE,
  resume: RESUME,
  attach: ATTACH,
  stop: STOP,
  ls: LS,
  logs: LOGS,
  compare: COMPARE,
  eval: EVAL,
  import: IMPORT,
  export: EXPORT,
  merge: MERGE,
  render: RENDER,
  check: CHECK,
  plan: PLAN,
  env: ENV,
  "env setup": ENV_SETUP,
  "env doctor": ENV_DOCTOR,
  pull: PULL,
  hosts: HOSTS,
} as const;

/** Commands with subcommands: `trellis --help` lists the subcommands instead. */
const GROUPS: readonly string[] = [ENV.name];

const PROGRAM = {
  title: "trellis: align language models with preference data through Hugging Face TRL",
  usage: "trellis <command> [options]",
  footer: `On a GPU server over your own ssh: trellis run recipe.yaml --on HOST (docs/remote.md).

Options: --help on any command, --version.
Exit codes: 0 ok, 1 a stage failed, 2 bad recipe, data or arguments, 3 environment problem,
130 stopped.`,
};

export = { COMMANDS, BY_NAME, GROUPS, PROGRAM };
