/** The local two-node Slurm cluster of scripts/slurm-local.sh, for the tests that need one. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { ROOT } from "./cli.js";

const SCRIPT = path.join(ROOT, "scripts", "slurm-local.sh");

export interface Cluster {
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Why Slurm tests cannot run here, or undefined when they can. */
export async function slurmMissing(): Promise<string | undefined> {
  const which = await execa("sh", ["-c", "command -v sbatch && command -v slurmctld && command -v munged"], {
    reject: false,
  });
  if (which.exitCode !== 0)
    return "sbatch, slurmctld or munged is not installed (apt-get install slurm-wlm munge; .ci/run does)";
  if (process.getuid?.() !== 0 && !process.env.SLURM_CONF) return "starting the local Slurm cluster needs root";
  return undefined;
}

/** The cluster named by SLURM_CONF when it answers (.ci/run starts one), else one started here. */
export async function slurmCluster(): Promise<Cluster> {
  if (process.env.SLURM_CONF && (await execa("sinfo", ["-h"], { reject: false })).exitCode === 0) {
    return { env: { SLURM_CONF: process.env.SLURM_CONF }, stop: async () => {} };
  }
  const dir = mkdtempSync(path.join(tmpdir(), "trellis-slurm-"));
  const started = await execa(SCRIPT, ["start", dir], { reject: false });
  if (started.exitCode !== 0) throw new Error(`the local Slurm cluster did not start: ${String(started.stderr)}`);
  const env = { SLURM_CONF: path.join(dir, "slurm.conf") };
  return { env, stop: async () => void (await execa(SCRIPT, ["stop", dir], { reject: false })) };
}
