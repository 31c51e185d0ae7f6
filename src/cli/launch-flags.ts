/** `trellis run` flags over the recipe's `launch` block: processes, nodes, rendezvous, engine. */
import { ENGINES, type Engine } from "../core/distributed/block.js";
import { parseRendezvous, type LaunchFlags } from "../core/distributed/resolve.js";
import type { SlurmOptions } from "../core/distributed/slurm.js";
import { UsageError } from "./args.js";
import type shared from "./commands/shared.cjs";

/** The flags, as the command table declares them (commands/shared.cts). */
type LAUNCH_FLAGS = typeof shared.LAUNCH_FLAGS;
type SLURM_FLAGS = typeof shared.SLURM_FLAGS;

function count(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${flag} must be an integer of at least ${min} (got '${value}')`);
  return n;
}

export function launchFlags(values: { [K in keyof LAUNCH_FLAGS]?: string }): LaunchFlags {
  const rendezvous = values.rendezvous === undefined ? undefined : parseRendezvous(values.rendezvous);
  if (values.rendezvous !== undefined && !rendezvous)
    throw new UsageError(`--rendezvous must be HOST:PORT (got '${values.rendezvous}')`);
  if (values.engine !== undefined && !(ENGINES as readonly string[]).includes(values.engine))
    throw new UsageError(`--engine must be one of ${ENGINES.join(", ")} (got '${values.engine}')`);
  return {
    processesPerNode: count(values["processes-per-node"], "processes-per-node", 1),
    nodes: count(values.nodes, "nodes", 1),
    nodeRank: count(values["node-rank"], "node-rank", 0),
    rendezvous,
    engine: values.engine as Engine | undefined,
  };
}

/** `--slurm` and its options; undefined without `--slurm`. */
export function slurmOptions(
  values: { [K in keyof SLURM_FLAGS]?: K extends "slurm" ? boolean : K extends "sbatch" ? string[] : string } & {
    nodes?: string;
  },
): SlurmOptions | undefined {
  if (!values.slurm) {
    const stray = (["gpus-per-node", "partition", "time", "account", "sbatch"] as const).find(
      (k) => values[k] !== undefined,
    );
    if (stray) throw new UsageError(`--${stray} is a Slurm option: add --slurm`);
    return undefined;
  }
  return {
    nodes: count(values.nodes, "nodes", 1) ?? 1,
    gpusPerNode: count(values["gpus-per-node"], "gpus-per-node", 0) ?? 0,
    partition: values.partition,
    time: values.time,
    account: values.account,
    extra: values.sbatch ?? [],
  };
}
