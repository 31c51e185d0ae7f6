/** Flags and help sections several commands share (the shape: spec.cts). */
import type { FlagSpec, SectionSpec } from "./spec.cjs";

/** The options of the managed Python environment (run, reproduce, compare, plan, render, env). */
const ENV_FLAGS = {
  python: {
    type: "string",
    value: "PATH",
    default: "$TRELLIS_PYTHON or python3",
    help: "base Python for the managed venv",
    section: "env",
  },
  "reuse-torch": {
    type: "string",
    value: "PY",
    default: "$TRELLIS_REUSE_TORCH",
    help: "reuse the torch (CUDA build) of the environment of this python executable instead of installing one",
    section: "env",
  },
  wheelhouse: {
    type: "string",
    value: "DIR",
    default: "$TRELLIS_WHEELHOUSE",
    help: "install offline from this folder of wheels",
    section: "env",
  },
  "torch-backend": {
    type: "string",
    value: "B",
    default: "$TRELLIS_TORCH_BACKEND, else auto: from the NVIDIA driver's CUDA version, cpu without one",
    help: "auto, cpu, cu126, cu128 or cu130: the torch build, one lock each",
    section: "env",
  },
  venv: {
    type: "string",
    value: "DIR",
    default: "$TRELLIS_VENV, else the cache: $TRELLIS_CACHE_DIR, $XDG_CACHE_HOME/trellis or ~/.cache/trellis",
    help: "use this folder for the venv",
    section: "env",
  },
  extra: {
    type: "string",
    multiple: true,
    value: "NAME",
    help: "add an optional package set from python/extras/ (repeatable): tensorboard, wandb, bitsandbytes, liger-kernel, deepspeed (flash-attn has no wheels)",
    section: "env",
  },
} as const satisfies Record<string, FlagSpec>;

/** `trellis run` flags over the recipe's `launch` block (src/cli/launch-flags.ts reads them). */
const LAUNCH_FLAGS = {
  "processes-per-node": {
    type: "string",
    value: "N",
    default: "every visible GPU, 1 without one",
    help: "processes on each node",
    section: "launch",
  },
  nodes: {
    type: "string",
    value: "N",
    default: "1",
    help: "machines; each runs `trellis run` with its --node-rank (with --slurm: nodes to allocate)",
    section: "launch",
  },
  "node-rank": {
    type: "string",
    value: "R",
    default: "0",
    help: "this machine's place among the nodes",
    section: "launch",
  },
  rendezvous: {
    type: "string",
    value: "HOST:PORT",
    help: "the c10d rendezvous, on the first node (needed with --nodes > 1)",
    section: "launch",
  },
  engine: {
    type: "string",
    value: "E",
    default: "torchrun",
    help: "torchrun or accelerate (launch.profile: TRL's multi_gpu, zero1-3, fsdp1-2; or launch.config_file)",
    section: "launch",
  },
} as const satisfies Record<string, FlagSpec>;

const SLURM_FLAGS = {
  slurm: {
    type: "boolean",
    help: "write runs/<id>/slurm/<stage>/job.sbatch and submit it; each node's rank comes from Slurm at run time, c10d on the first node, a preflight compares versions on every node first",
    section: "slurm",
  },
  "gpus-per-node": {
    type: "string",
    value: "G",
    default: "0: one process per node",
    help: "GPUs per node, one process each",
    section: "slurm",
  },
  partition: { type: "string", value: "P", help: "the sbatch option of that name", section: "slurm" },
  time: { type: "string", value: "T", help: "the sbatch option of that name", section: "slurm" },
  account: { type: "string", value: "A", help: "the sbatch option of that name", section: "slurm" },
  sbatch: {
    type: "string",
    multiple: true,
    value: "LINE",
    help: "an extra '#SBATCH --option' line (repeatable)",
    section: "slurm",
  },
} as const satisfies Record<string, FlagSpec>;

/** The judge flags `trellis eval` and `trellis compare` share (src/cli/eval-command.ts judgeOf). */
const JUDGE_FLAGS = {
  judge: {
    type: "string",
    value: "MODEL",
    help: "a local judge model: a folder or a Hub name (tiny-judge: a random tiny one, for trying it out)",
    section: "judge",
  },
  "judge-url": {
    type: "string",
    value: "URL",
    help: "an OpenAI-compatible endpoint's base URL, ending in /v1",
    section: "judge",
  },
  "judge-model": { type: "string", value: "NAME", help: "the model name to ask the endpoint for", section: "judge" },
  "judge-key-env": {
    type: "string",
    value: "VAR",
    help: "the environment variable holding the endpoint's API key (never logged or written)",
    section: "judge",
  },
  "judge-prompt": {
    type: "string",
    value: "FILE",
    default: "python/trellis_runtime/judge_prompt.txt",
    help: "the judge prompt: a text file with {question}, {answer_a}, {answer_b}",
    section: "judge",
  },
  "judge-timeout": {
    type: "string",
    value: "S",
    default: "60",
    help: "seconds per request to the endpoint",
    section: "judge",
  },
  "judge-retries": {
    type: "string",
    value: "N",
    default: "3",
    help: "retries of a request that timed out, was refused or got 429/5xx (backoff 1, 2, 4 s)",
    section: "judge",
  },
} as const satisfies Record<string, FlagSpec>;

const SECTIONS = {
  env: { title: "The managed Python environment:" },
  launch: {
    title: "Several processes (over the recipe's launch block; torchrun's elastic agent by default):",
  },
  slurm: { title: "Slurm (from the login node; each stage is one job, followed live):" },
  judge: { title: "The judge (a local model, or an OpenAI-compatible endpoint; docs/evaluation.md):" },
} as const satisfies Record<string, SectionSpec>;

/** `--on HOST`: the same command on a server over the user's own ssh (src/cli/remote-commands.ts). */
const ON_HOST = {
  type: "string",
  value: "HOST",
  help: "do it on a GPU server over your own ssh: an alias from ~/.ssh/config, user@host or host:port (docs/remote.md)",
} as const satisfies FlagSpec;

const RUNS_DIR = {
  type: "string",
  value: "DIR",
  default: "$TRELLIS_RUNS_DIR or ./runs",
  help: "where to look for runs",
} as const satisfies FlagSpec;

export = { ENV_FLAGS, LAUNCH_FLAGS, SLURM_FLAGS, JUDGE_FLAGS, SECTIONS, RUNS_DIR, ON_HOST };
