/** `trellis hosts`: the command table's entry (see spec.cts); the handler is src/cli/remote-commands.ts. */
import type { CommandSpec } from "./spec.cjs";

const HOSTS = {
  name: "hosts",
  synopsis: "hosts",
  summary: "the servers used with --on: GPUs, free disk, runs",
  usage: ["hosts [--json]"],
  args: [],
  description: `The servers used with --on before (kept in ~/.config/trellis/hosts.json), each asked now over ssh
for its GPUs (nvidia-smi), free disk in the home folder and the number of runs in ~/trellis/runs.`,
  flags: { json: { type: "boolean", help: "the servers as one JSON list" } },
  handler: { module: "./remote-commands.js", export: "hostsCommand" },
} as const satisfies CommandSpec;

export = HOSTS;
