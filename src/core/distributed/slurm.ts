/**
 * The Slurm batch script of a stage (pure). sbatch allocates the nodes; on each node srun starts
 * the same launch, whose node rank comes from Slurm at run time (`$SLURM_NODEID`, expanded per
 * task, never at submission) and whose c10d rendezvous is on the first node of the allocation.
 * A preflight on every node compares versions and checks that the rendezvous address resolves
 * before anything trains. trellis schedules nothing itself.
 */
import { launcherArgs } from "./command.js";
import { LaunchError, type Distributed } from "./resolve.js";

export interface SlurmOptions {
  nodes: number;
  /** GPUs per node (0: a CPU allocation; one process per node then). */
  gpusPerNode: number;
  partition?: string;
  /** sbatch --time (e.g. 2:00:00). */
  time?: string;
  account?: string;
  /** Extra `#SBATCH ...` lines, verbatim. */
  extra: string[];
}

interface SlurmStageInput {
  d: Distributed;
  slurm: SlurmOptions;
  jobName: string;
  runId: string;
  python: string;
  script: string;
  /** Folder of the stage's Slurm files (scripts, job output, exit code, preflight). */
  slurmDir: string;
  /** torchrun --log-dir, without the per-node folder. */
  rankLogs: string;
  channels: { eventsFile: string; controlFile: string; ranksDir: string };
  /** The trellis_runtime folder beside the scripts (for the preflight). */
  runtimeDir: string;
  /** Extra environment for every rank. */
  env: Record<string, string>;
  profileFile?: string;
  cpu: boolean;
}

/** Values that become part of #SBATCH lines: no newlines, nothing a shell would read as syntax. */
const SAFE_SBATCH_VALUE = /^[A-Za-z0-9_.:,@%+=/-]+$/;

export class SlurmOptionError extends LaunchError {}

export function checkSlurmOptions(o: SlurmOptions): void {
  for (const [name, value] of [
    ["partition", o.partition],
    ["time", o.time],
    ["account", o.account],
  ] as const) {
    if (value !== undefined && !SAFE_SBATCH_VALUE.test(value))
      throw new SlurmOptionError(`--${name} '${value}' has characters an sbatch value cannot hold`);
  }
  for (const line of o.extra) {
    if (!/^#SBATCH --?[A-Za-z]/.test(line) || /[\r\n]/.test(line))
      throw new SlurmOptionError(`--sbatch lines must each be one '#SBATCH --option' line (got '${line}')`);
  }
}

/** A word for bash: single-quoted, unless it names shell variables to expand at run time. */
export function shellWord(word: string): string {
  if (/\$\{[A-Z_]+\}/.test(word)) return `"${word.replace(/(["\\`])/g, "\\$1")}"`;
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

const line = (words: string[]) => words.map(shellWord).join(" ");

export function renderSbatch(i: SlurmStageInput): { batch: string; node: string } {
  const s = i.slurm;
  const header = [
    "#!/bin/bash",
    `#SBATCH --job-name=${i.jobName}`,
    `#SBATCH --nodes=${s.nodes}`,
    "#SBATCH --ntasks-per-node=1",
    ...(s.gpusPerNode > 0 ? [`#SBATCH --gpus-per-node=${s.gpusPerNode}`] : []),
    ...(s.partition ? [`#SBATCH --partition=${s.partition}`] : []),
    ...(s.time ? [`#SBATCH --time=${s.time}`] : []),
    ...(s.account ? [`#SBATCH --account=${s.account}`] : []),
    `#SBATCH --output=${i.slurmDir}/job-%j.out`,
    ...s.extra,
  ];
  const exports = Object.entries({
    PYTHONUNBUFFERED: "1",
    TRELLIS_EVENTS_FILE: i.channels.eventsFile,
    TRELLIS_CONTROL_FILE: i.channels.controlFile,
    TRELLIS_RANKS_DIR: i.channels.ranksDir,
    ...i.env,
  }).map(([k, v]) => `export ${k}=${shellWord(v)}`);
  const batch = `${header.join("\n")}
# Rendered by trellis for run ${i.runId}. Submitted by \`trellis run --slurm\`; \`trellis render --slurm\`
# writes it without submitting (sbatch it yourself; the events go to the files named below).
set -uo pipefail
# The rendezvous (c10d) is on the first node of the allocation, at the address Slurm knows it by.
FIRST_NODE=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)
MASTER_ADDR=$(scontrol show node "$FIRST_NODE" | sed -n 's/.*NodeAddr=\\([^ ]*\\).*/\\1/p' | head -n1)
# Never fall back to localhost: each node would form a world of its own and wait forever.
if [ -z "$MASTER_ADDR" ]; then echo "trellis: no address for the first node of $SLURM_JOB_NODELIST" >&2; echo 3 > ${shellWord(`${i.slurmDir}/exit-code`)}; exit 3; fi
export MASTER_ADDR
export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))
${exports.join("\n")}

# Preflight on every node: the same trellis, packages, torch, CUDA and driver, and the rendezvous
# address resolves. A mismatch stops the job here, with the differences named.
srun --ntasks-per-node=1 ${line([i.python, `${i.runtimeDir}/preflight.py`, "fingerprint", "${MASTER_ADDR}"])} > ${shellWord(`${i.slurmDir}/preflight.jsonl`)}
code=$?
if [ $code -eq 0 ]; then
  ${line([i.python, `${i.runtimeDir}/preflight.py`, "compare", `${i.slurmDir}/preflight.jsonl`])}
  code=$?
fi
if [ $code -eq 0 ]; then
  # One task per node; the first to fail ends the step (and torchrun's agents end their ranks).
  srun --kill-on-bad-exit=1 --wait=60 bash ${shellWord(`${i.slurmDir}/node.sh`)}
  code=$?
fi
echo $code > ${shellWord(`${i.slurmDir}/exit-code`)}
exit $code
`;
  const args = launcherArgs(i.d, {
    script: i.script,
    logDir: `${i.rankLogs}/node\${SLURM_NODEID}`,
    runId: i.runId,
    nodeRank: "${SLURM_NODEID}",
    rendezvous: "${MASTER_ADDR}:${MASTER_PORT}",
    profileFile: i.profileFile,
    cpu: i.cpu,
  });
  const node = `#!/bin/bash
# One node's launch (srun runs it once per node): the node rank is Slurm's, read here, at run time.
exec ${line([i.python, ...args])}
`;
  return { batch, node };
}
