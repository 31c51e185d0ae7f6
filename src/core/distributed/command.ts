/**
 * The launcher's command line for a stage: torchrun (torch.distributed.run, the elastic agent)
 * or accelerate launch, run with the managed Python. Values are plain strings; the Slurm script
 * passes shell variables (`${SLURM_NODEID}`) that expand on each node.
 */
import type { Distributed } from "./resolve.js";

interface LauncherInput {
  script: string;
  /** torchrun's --log-dir: per-rank stdout, stderr and error.json. */
  logDir: string;
  /** The rendezvous id: the run id, the same on every node. */
  runId: string;
  /** This node's rank; a shell variable under Slurm. */
  nodeRank?: string;
  /** `host:port` of the c10d rendezvous; shell variables under Slurm. */
  rendezvous?: string;
  /** TRL's accelerate config for `d.profile` (trl/accelerate_configs/<profile>.yaml). */
  profileFile?: string;
  /** No GPU: accelerate runs its CPU path. */
  cpu?: boolean;
}

/** Arguments after the Python executable. */
export function launcherArgs(d: Distributed, i: LauncherInput): string[] {
  const nodeRank = i.nodeRank ?? String(d.nodeRank);
  const endpoint = i.rendezvous ?? (d.rendezvous ? `${d.rendezvous.host}:${d.rendezvous.port}` : null);
  if (d.engine === "accelerate") {
    const config = d.profile ? i.profileFile : d.configFile && /\.ya?ml$/i.test(d.configFile) ? d.configFile : null;
    if (d.profile && !config) throw new Error(`no file for accelerate profile '${d.profile}'`);
    return [
      "-m",
      "accelerate.commands.launch",
      ...(config ? ["--config_file", config] : d.worldSize > 1 ? ["--multi_gpu"] : []),
      ...(i.cpu ? ["--cpu", "--mixed_precision", "no"] : []),
      "--num_processes",
      String(d.worldSize),
      "--num_machines",
      String(d.nodes),
      "--machine_rank",
      nodeRank,
      ...(endpoint
        ? [
            "--main_process_ip",
            endpoint.replace(/:[^:]*$/, ""),
            "--main_process_port",
            endpoint.replace(/^.*:/, ""),
            "--rdzv_backend",
            "c10d",
          ]
        : ["--main_process_port", "0"]),
      "--max_restarts",
      "0",
      "--log_dir",
      i.logDir,
      "--tee",
      "3",
      i.script,
    ];
  }
  return [
    "-m",
    "torch.distributed.run",
    "--nnodes",
    String(d.nodes),
    "--nproc-per-node",
    String(d.processesPerNode),
    "--node-rank",
    nodeRank,
    ...(endpoint ? ["--rdzv-backend", "c10d", "--rdzv-endpoint", endpoint, "--rdzv-id", i.runId] : ["--standalone"]),
    // A failed rank fails the run; resume is trellis's job, from a checkpoint it wrote.
    "--max-restarts",
    "0",
    "--log-dir",
    i.logDir,
    // Every rank's output to its own files; local rank 0's also to the console (the stage log).
    "--redirects",
    "3",
    "--tee",
    "3",
    "--local-ranks-filter",
    "0",
    i.script,
  ];
}

/** torchrun prefixes teed lines with the rank (`[default0]:`); the stage log shows them without. */
export function stripRankPrefix(line: string): string {
  return line.replace(/^\[[A-Za-z_]*\d+\]:/, "");
}

/** One line said when the stage starts: processes, nodes and the batch each optimizer step sees. */
export function effectiveBatch(
  args: Record<string, unknown>,
  worldSize: number,
): { microBatch: number; accumulation: number; processes: number; effective: number } {
  // transformers' TrainingArguments defaults.
  const microBatch = typeof args.per_device_train_batch_size === "number" ? args.per_device_train_batch_size : 8;
  const accumulation = typeof args.gradient_accumulation_steps === "number" ? args.gradient_accumulation_steps : 1;
  return { microBatch, accumulation, processes: worldSize, effective: microBatch * accumulation * worldSize };
}

export function describeLaunch(d: Distributed | null, batch: ReturnType<typeof effectiveBatch>): string {
  const where = d
    ? `${d.worldSize} processes (${d.processesPerNode} per node x ${d.nodes} node${d.nodes > 1 ? "s" : ""}, ${d.engine}${d.profile ? ` ${d.profile}` : ""}${d.slurm ? ", under Slurm" : ""})`
    : "1 process";
  return `${where}; effective batch ${batch.effective} = micro-batch ${batch.microBatch} x accumulation ${batch.accumulation} x ${batch.processes} process${batch.processes > 1 ? "es" : ""}`;
}
