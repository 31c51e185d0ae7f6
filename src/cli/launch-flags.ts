/** `trellis run` flags over the recipe's `launch` block: processes, nodes, rendezvous, engine. */
import { ENGINES, type Engine } from "../core/distributed/block.js";
import { parseRendezvous, type LaunchFlags } from "../core/distributed/resolve.js";
import { UsageError } from "./args.js";

export const LAUNCH_FLAGS = {
  "processes-per-node": { type: "string" },
  nodes: { type: "string" },
  "node-rank": { type: "string" },
  rendezvous: { type: "string" },
  engine: { type: "string" },
} as const;

function count(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer of at least ${min} (got '${value}')`);
  return n;
}

export function launchFlags(values: { [K in keyof typeof LAUNCH_FLAGS]?: string }): LaunchFlags {
  const rendezvous = values.rendezvous === undefined ? undefined : parseRendezvous(values.rendezvous);
  if (values.rendezvous !== undefined && !rendezvous) throw new UsageError(`--rendezvous must be HOST:PORT (got '${values.rendezvous}')`);
  if (values.engine !== undefined && !(ENGINES as readonly string[]).includes(values.engine)) throw new UsageError(`--engine must be one of ${ENGINES.join(", ")} (got '${values.engine}')`);
  return {
    processesPerNode: count(values["processes-per-node"], "processes-per-node", 1),
    nodes: count(values.nodes, "nodes", 1),
    nodeRank: count(values["node-rank"], "node-rank", 0),
    rendezvous,
    engine: values.engine as Engine | undefined,
  };
}
