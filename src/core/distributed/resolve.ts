/**
 * A stage's launch made concrete for one run: the recipe's `launch` block, overridden by the
 * command line, with `auto` turned into a process count. Null means one plain Python process,
 * as before there was a launch block.
 */
import { DEFAULT_HANG_MINUTES, type Engine, type LaunchBlock, type Profile } from "./block.js";
import { TrellisError } from "../errors.js";

/** A launch that cannot be: a usage error (exit 2). */
export class LaunchError extends TrellisError {
  override readonly exitCode = 2;
}

interface Rendezvous {
  host: string;
  port: number;
}

/** What `trellis run` flags may override (undefined: the recipe's value). */
export interface LaunchFlags {
  engine?: Engine;
  processesPerNode?: number;
  nodes?: number;
  nodeRank?: number;
  rendezvous?: Rendezvous;
  /** `trellis run --slurm`: Slurm gives each node its rank and the first node's address at run time. */
  slurm?: boolean;
  /** Under Slurm: the GPUs each node of the allocation gets. */
  gpusPerNode?: number;
}

export interface Distributed {
  engine: Engine;
  processesPerNode: number;
  nodes: number;
  nodeRank: number;
  /** Null on one node: a free port is picked (torchrun --standalone). */
  rendezvous: Rendezvous | null;
  profile: Profile | null;
  /** The user's accelerate (.yaml) or DeepSpeed (.json) config. */
  configFile: string | null;
  worldSize: number;
  /** A run with no finished step on any rank for this long is reported as hung. */
  hangSeconds: number;
  /** Set for `trellis run --slurm`: node rank and rendezvous come from Slurm on each node. */
  slurm?: boolean;
}

/** `configFile` is as the recipe wrote it (relative to the recipe's folder): the caller resolves it. */
export function resolveDistributed(
  block: LaunchBlock | undefined,
  flags: LaunchFlags,
  visibleGpus: number,
): Distributed | null {
  const engine = flags.engine ?? block?.engine ?? "torchrun";
  const requested = flags.processesPerNode ?? block?.processes_per_node ?? "auto";
  // Every visible GPU; one process on a machine without a GPU.
  const processesPerNode = requested === "auto" ? Math.max(1, visibleGpus) : requested;
  const nodes = flags.nodes ?? block?.nodes ?? 1;
  const nodeRank = flags.nodeRank ?? block?.node_rank ?? 0;
  const rendezvous = flags.rendezvous ?? block?.rendezvous ?? null;
  const profile = block?.profile ?? null;
  const configFile = block?.config_file ?? null;
  const worldSize = processesPerNode * nodes;
  if (worldSize === 1 && engine === "torchrun" && !configFile && !flags.slurm) return null;
  if (nodeRank >= nodes) throw new LaunchError(`node rank ${nodeRank} is not below the number of nodes (${nodes})`);
  if (nodes > 1 && !rendezvous && !flags.slurm)
    throw new LaunchError("several nodes need a rendezvous address (--rendezvous HOST:PORT, or launch.rendezvous)");
  return {
    engine,
    processesPerNode,
    nodes,
    nodeRank,
    rendezvous,
    profile,
    configFile,
    worldSize,
    hangSeconds: (block?.hang_minutes ?? DEFAULT_HANG_MINUTES) * 60,
    ...(flags.slurm ? { slurm: true } : {}),
  };
}

/** `host:port` from the command line. */
export function parseRendezvous(text: string): Rendezvous | undefined {
  const m = /^([A-Za-z0-9_.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  return m && port >= 1 && port <= 65535 ? { host: m[1]!, port } : undefined;
}
