/** `trellis logs`: the command table's entry (see spec.cts); the handler is src/cli/logs-command.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ON_HOST, RUNS_DIR } = shared;

const LOGS = {
  name: "logs",
  synopsis: "logs <run> [--follow]",
  summary: "print a run's events without the dashboard (filters: --type...)",
  usage: ["logs [run-id] [--follow] [--json] [--type T,..] [--stage S] [--since WHEN]"],
  args: [{ name: "run-id", optional: true, help: "the run (default: the latest)" }],
  description: `Prints a run's events, one per line (--json: as JSON). --follow keeps printing live events until
the run ends. Without a run id, the latest run. Each metric is shown once: TRL's printed metric
dicts are left out (they are in logs/<stage>.stdout.log). Piping into head is fine.`,
  flags: {
    follow: { type: "boolean", short: "f", help: "keep printing live events until the run ends" },
    on: ON_HOST,
    json: { type: "boolean", help: "each event as a JSON line" },
    type: {
      type: "string",
      multiple: true,
      value: "T,..",
      help: "only these event types (metrics, eval, notice, output, error...)",
    },
    stage: { type: "string", multiple: true, value: "S", help: "only this stage's events (repeatable)" },
    since: {
      type: "string",
      value: "WHEN",
      help: "only events from then: a duration back (90s, 10m, 2h, 1d) or a date",
    },
    "runs-dir": RUNS_DIR,
  },
  handler: { module: "./logs-command.js", export: "logsCommand" },
} as const satisfies CommandSpec;

export = LOGS;
