/**
 * `--help` text of every command. CommonJS (as are the help files it reads), so that
 * bin/trellis.js answers `trellis --help` without starting Node's ESM loader (~30 ms).
 */
import importExport = require("./import-export-help.cjs");
import compareHelp = require("./compare-help.cjs");

const { EXPORT_HELP, IMPORT_HELP } = importExport;
const { COMPARE_HELP } = compareHelp;
import remoteHelp = require("./remote-help.cjs");
const { ON_OPTION, PULL_HELP, HOSTS_HELP } = remoteHelp;

const ENV_OPTIONS = `  --python PATH        base Python for the managed venv (default: $TRELLIS_PYTHON or python3)
  --reuse-torch PY     reuse the torch (CUDA build) of the environment of this python executable
                       instead of installing one (default: $TRELLIS_REUSE_TORCH)
  --wheelhouse DIR     install offline from this folder of wheels (default: $TRELLIS_WHEELHOUSE)
  --torch-backend B    auto, cpu, cu126, cu128 or cu130: the torch build, one lock each
                       (default: $TRELLIS_TORCH_BACKEND, else auto: from the NVIDIA driver's
                       CUDA version, cpu without one)
  --venv DIR           use this folder for the venv (default: $TRELLIS_VENV, else the cache:
                       $TRELLIS_CACHE_DIR, $XDG_CACHE_HOME/trellis or ~/.cache/trellis)
  --extra NAME         add an optional package set from python/extras/ (repeatable): tensorboard,
                       wandb, bitsandbytes, liger-kernel, deepspeed (flash-attn has no wheels)`;

const LAUNCH_OPTIONS = `Several processes (over the recipe's launch block; torchrun's elastic agent by default):
  --processes-per-node N  processes on each node (default: every visible GPU, 1 without one)
  --nodes N            machines (default 1); each runs \`trellis run\` with its --node-rank
  --node-rank R        this machine's place among the nodes (default 0)
  --rendezvous HOST:PORT  the c10d rendezvous, on the first node (needed with --nodes > 1)
  --engine E           torchrun (default) or accelerate (launch.profile: TRL's multi_gpu,
                       zero1-3, fsdp1-2; or launch.config_file)`;
const SLURM_OPTIONS = `Slurm (from the login node; each stage is one job, followed live):
  --slurm              write runs/<id>/slurm/<stage>/job.sbatch and submit it; each node's
                       rank comes from Slurm at run time, c10d on the first node, a preflight
                       compares versions on every node first
  --nodes N            nodes to allocate (default 1)
  --gpus-per-node G    GPUs per node, one process each (default 0: one process per node)
  --partition P, --time T, --account A    the sbatch options of those names
  --sbatch LINE        an extra '#SBATCH --option' line (repeatable)`;

const HELP: Record<string, string> = {
  "": `trellis: align language models with preference data through Hugging Face TRL

Usage: trellis <command> [options]

Commands:
  run <recipe.yaml>      validate, render and run a recipe's stages; events in runs/<id>/
  reproduce <run>        run a recorded run again and compare its metrics with the original's
  resume <run>           continue a stopped or failed run from its newest complete checkpoint
  attach [run | ws://..] watch a run live, or review a finished one; q detaches, Ctrl-C stops
  stop <run>             stop a run gracefully from any terminal: a checkpoint, then stopped
  ls                     list runs: status (failing stage, reason), steps, time, accuracy
  logs <run> [--follow]  print a run's events without the dashboard (filters: --type...)
  compare <arms.yaml>    ORPO against SFT then DPO (any arms) on the same data: scores, cost, report.md
  import <config.yaml>   turn a TRL, alignment-handbook, axolotl or LLaMA-Factory config into a recipe
  export <recipe.yaml>   write TRL CLI configs (trl sft|dpo --config), one per stage
  merge [run]            merge a finished LoRA/QLoRA stage's adapter into a full model to serve
  render <recipe.yaml>   write each stage's standalone TRL script (and its JSON values)
  check <recipe.yaml>    check the recipe, every data row, the model and the disk; run nothing
  plan <recipe.yaml>     print the batch plan of each stage (probes on the GPU; nothing on a CPU)
  env setup              create the managed Python environment (reused while the lock is unchanged)
  env doctor             show python, torch (CUDA, GPU), TRL and friends, and what is wrong
  pull <run> --on HOST   copy a run folder (--model: and its model) back from a server
  hosts                  the servers used with --on: GPUs, free disk, runs

On a GPU server over your own ssh: trellis run recipe.yaml --on HOST (docs/remote.md).

Options: --help on any command, --version.
Exit codes: 0 ok, 1 a stage failed, 2 bad recipe, data or arguments, 3 environment problem,
130 stopped.
`,
  run: `Usage: trellis run <recipe.yaml> [options]

Validates the recipe (nothing starts when it is wrong), sets up or reuses the managed Python
environment, renders the stages into runs/<run-id>/scripts and runs them in order. Everything
lands in runs/<run-id>/: recipe.yaml, recipe.resolved.yaml, scripts/, logs/, trellis.log and
events.jsonl.

A supervisor process owns the stages and serves the run's events on a websocket (127.0.0.1,
an ephemeral port, a random token in runs/<id>/token). It is detached from the terminal: closing
the terminal or losing SSH does not stop training; \`trellis attach\` reconnects. Ctrl-C (or s
in the dashboard) stops gracefully: the trainer saves a checkpoint at the end of the step, and
the run is stopped (resumable); a second Ctrl-C kills the trainer's processes. q in the
dashboard detaches: training goes on (\`trellis stop <run-id>\` stops it).

Options:
  --json               print events as JSON lines on stdout (the default without a TTY)
  --plain              plain text instead of the dashboard: progress lines, phases, notices and
                       health alerts as they happen, then the summary (on stderr), also when
                       piped (nohup, Slurm logs)
  --foreground         keep the supervisor in this process (it ends with the terminal)
  --detach             start the run and print {"run","dir","url"} as one JSON line; watch nothing
  --on HOST            run it on a GPU server over your own ssh, watched here (docs/remote.md)
  --host HOST          listen on another interface (warns: prefer an SSH tunnel)
  --port PORT          listen on this port (default: any free port)
  --allow-origin URL   accept websocket handshakes from this browser origin (default: none)
  --runs-dir DIR       where run directories go (default: $TRELLIS_RUNS_DIR or ./runs)
  --env PATH           run in this existing environment (its folder or its python) as it is,
                       installing nothing; the stages are rendered for its TRL (default:
                       $TRELLIS_ENV). Not --python, the base Python of the managed venv
${ENV_OPTIONS}
${LAUNCH_OPTIONS}
${SLURM_OPTIONS}
`,
  attach: `Usage: trellis attach [run-id | ws://host:port] [options]

Shows a run: live while its supervisor runs (history first, then new events). A finished,
failed or stopped run opens in the dashboard for review: its whole recorded history, every
stage's tab (t), zoom in time (+ -, arrows), smoothing (e), log-Y (y), x axis (x), filter (/);
q leaves and prints the summary. Without a run id, the latest run. Keys while live: q detach
(training continues), Ctrl-C stop (a checkpoint, then stopped; again: kill), s stop (asks to
confirm), c checkpoint now, ? help. With --plain, Ctrl-C stops the same way.

Options:
  --summary            a finished run's summary as text, without the dashboard
  --token TOKEN        the run's token, for a ws:// address (default: $TRELLIS_TOKEN)
  --json               print events as JSON lines instead of the dashboard
  --plain              a progress line instead of the dashboard
  --runs-dir DIR       where to look for runs (default: $TRELLIS_RUNS_DIR or ./runs)
`,
  reproduce: `Usage: trellis reproduce <run-id> [--json] [--plain] [--runs-dir DIR]

Runs a recorded run again from its manifest: the same recipe (the copy in the run directory),
the same locked environment, the same seeds. Before running it says what differs from the
original (data file hashes, installed packages, GPU model); after, it compares the metrics step
by step and reports the first step and metric that differ. Exit 0 when every metric matches.
--json prints that comparison as JSON.
`,
  resume: `Usage: trellis resume <run-id> [--force] [--json] [--plain] [--runs-dir DIR]

Continues a stopped or failed run in its own directory: stages that finished are skipped; the
stage that was running continues from its newest complete checkpoint (with optimizer, scheduler
and RNG state; a checkpoint cut short is skipped, and so is one trellis did not write). Refuses
when the recipe or the environment lock changed since the run started, unless --force.
`,
  stop: `Usage: trellis stop <run-id> [--runs-dir DIR]

Stops a running run gracefully, from any terminal: the trainer saves a checkpoint at the end of
the current step and the run ends stopped (continue it with trellis resume). Waits for the run
to end, then prints its summary; Ctrl-C while it waits kills the trainer's processes. Exit 0 once
the run has ended; a run that is not running is left as it is.
`,
  ls: `Usage: trellis ls [--json] [--runs-dir DIR]

Lists runs: status (running, finished, failed or stopped, with the stage it happened in), trainer,
steps of the stage that ran last out of its total, duration, held-out preference accuracy after
the last stage, start time and, for a run that did not finish, the reason in one line.
`,
  logs: `Usage: trellis logs [run-id] [--follow] [--json] [--type T,..] [--stage S] [--since WHEN]

Prints a run's events, one per line (--json: as JSON). --follow keeps printing live events until
the run ends. Without a run id, the latest run. Each metric is shown once: TRL's printed metric
dicts are left out (they are in logs/<stage>.stdout.log). Piping into head is fine.

Options:
  --type T,..          only these event types (metrics, eval, notice, output, error...)
  --stage S            only this stage's events (repeatable)
  --since WHEN         only events from then: a duration back (90s, 10m, 2h, 1d) or a date
  --runs-dir DIR       where to look for runs (default: $TRELLIS_RUNS_DIR or ./runs)
`,
  merge: `Usage: trellis merge [run-id] [--stage ID] [--out DIR] [--json] [--runs-dir DIR]

Merges the LoRA adapter a finished stage saved into the model that stage trained on, and saves
a full model with its tokenizer: plain transformers loads it (no PEFT), ready to serve. For
QLoRA (model.quantization) the base is de-quantised first, so the merged weights are exactly
those the adapter was trained against. A stage that started from an earlier LoRA stage merges
onto that stage's result. The merge runs in the run's own environment and scripts; its output
goes to logs/merge-<stage>.stderr.log. A stage with merge: true in the recipe does this at the
end of training.

Options:
  --stage ID           the stage to merge (default: the last stage that saved an adapter)
  --out DIR            where the merged model goes (default: <stage output>/merged)
  --json               print {run, stage, merged} as JSON
  --runs-dir DIR       where to look for runs (default: $TRELLIS_RUNS_DIR or ./runs)
`,
  render: `Usage: trellis render <recipe.yaml> [--out DIR] [--trl-version X.Y]

Writes, for each stage, stage-<n>-<id>.py (a readable TRL script that runs with plain python)
and stage-<n>-<id>.json (every recipe value, read by the script as data), plus the small
trellis_runtime helpers they import.

Options:
  -o, --out DIR        output folder (default: ./rendered/<recipe name>)
  --trl-version X.Y    render for this TRL version (default: the managed environment's pin)
  --json               print what was written as JSON
  --slurm              also write slurm/<stage>/job.sbatch (not submitted), for the managed
                       environment's Python (set up if needed); with --nodes, --gpus-per-node,
                       --partition, --time, --account, --sbatch as for \`trellis run --slurm\`
`,
  import: IMPORT_HELP,
  export: EXPORT_HELP,
  check: `Usage: trellis check <recipe.yaml> [--trl-version X.Y] [--extra NAME]... [--json]

Everything that would fail in a run's first minutes, each problem as file:line:col: message.
The recipe (keys, types, TRL arguments for the targeted TRL version, stage links); every row of
every local data file (JSON, kinds of values, message roles, empty or identical answers, one
shape per file, up to 20 problems a file); the model without loading its weights (LoRA target
modules, a chat template for chat data) where it is local or cached; free disk space for what
the run saves; every package the arguments need (report_to trackers, 8-bit optimizers,
DeepSpeed, Liger, flash attention) in the lock or in the extras asked for. Prints each data
file's shape and what will be done with it. Runs no Python.

  --trl-version X.Y    check TRL arguments against this version
  --extra NAME         an optional package set the run will have (repeatable)
  --json               the result, errors included, as one JSON document on stdout

Exit codes: 0 ok, 2 a problem with the recipe, data, model or packages.
`,
  plan: `Usage: trellis plan <recipe.yaml> [--json] [environment options]

Prints, for each stage, the batch configuration the planner picks on this machine's GPU, and
the probe table behind it (the analytic memory estimate beside the measured peak and tokens/s).
The effective batch (micro-batch x accumulation x processes) stays the recipe's: the candidates
are the divisors of the per-process batch, gradient checkpointing is tried off before on (and,
for DPO, precomputed reference log-probs where that makes a size fit). Each probe is a fresh
process running 3 optimizer steps on the longest examples; a size is accepted only with 10% of
the GPU's memory to spare, and the fastest accepted one wins. When none fits, it refuses rather
than shrink the batch. Plans are cached by an environment fingerprint (model, data, stage
settings, GPU, versions) under the trellis cache. A stage with \`batch: auto\` is planned the same
way when it runs. On a CPU there is nothing to plan: the recipe's batch is used as written.
`,
  compare: COMPARE_HELP,
  pull: PULL_HELP,
  hosts: HOSTS_HELP,
  env: `Usage: trellis env <setup|doctor> [options]

  setup    create the managed Python environment, or find it ready (see trellis env setup --help)
  doctor   report versions, CUDA and what is missing (see trellis env doctor --help)
`,
  "env setup": `Usage: trellis env setup [options]

Creates the managed venv from python/requirements.lock (exact pins), keyed by the lock's hash:
while the lock is unchanged, later runs reuse it and install nothing. With --extra, a second venv
for that set of extras is layered on it (python/extras/<name>.lock, installed once, reused after).

Options:
${ENV_OPTIONS}
  --force              rebuild even if the environment looks ready
`,
  "env doctor": `Usage: trellis env doctor [options] [--json]

Prints python, torch (CUDA available? which GPU), transformers, trl, peft, datasets and
accelerate versions of the managed environment, and what is missing or mismatched.

Options:
${ENV_OPTIONS}
  --json               the report as JSON
`,
};
// The commands that also work on a server (docs/remote.md).
for (const command of ["attach", "resume", "stop", "ls", "logs"]) HELP[command] += `${ON_OPTION}\n`;

export = { HELP };
