/** `--help` text of every command. */
import { EXPORT_HELP, IMPORT_HELP } from "./cli/import-export-help.js";

const ENV_OPTIONS = `  --python PATH        base Python for the managed venv (default: $TRELLIS_PYTHON or python3)
  --reuse-torch PY     reuse the torch (CUDA build) of the environment of this python executable
                       instead of installing one (default: $TRELLIS_REUSE_TORCH)
  --wheelhouse DIR     install offline from this folder of wheels (default: $TRELLIS_WHEELHOUSE)
  --venv DIR           use this folder for the venv (default: $TRELLIS_VENV, else the cache:
                       $TRELLIS_CACHE_DIR, $XDG_CACHE_HOME/trellis or ~/.cache/trellis)`;

export const HELP: Record<string, string> = {
  "": `trellis: align language models with preference data through Hugging Face TRL

Usage: trellis <command> [options]

Commands:
  run <recipe.yaml>      validate, render and run a recipe's stages; events in runs/<id>/
  reproduce <run>        run a recorded run again and compare its metrics with the original's
  resume <run>           continue a stopped or failed run from its newest complete checkpoint
  attach [run | ws://..] watch a run (live, or replayed when finished); q detaches
  ls                     list runs with status, trainer, steps and start time
  logs <run> [--follow]  print a run's events without the dashboard
  import <config.yaml>   turn a TRL, alignment-handbook, axolotl or LLaMA-Factory config into a recipe
  export <recipe.yaml>   write TRL CLI configs (trl sft|dpo --config), one per stage
  render <recipe.yaml>   write each stage's standalone TRL script (and its JSON values)
  check <recipe.yaml>    validate a recipe and its data files, run nothing
  plan <recipe.yaml>     print the batch plan of each stage (probes on the GPU; nothing on a CPU)
  env setup              create the managed Python environment (reused while the lock is unchanged)
  env doctor             show python, torch (CUDA, GPU), TRL and friends, and what is wrong

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
in the dashboard) stops gracefully: the trainer saves a checkpoint at the end of the step.

Options:
  --json               print events as JSON lines on stdout (the default without a TTY)
  --plain              a progress line instead of the dashboard
  --foreground         keep the supervisor in this process (it ends with the terminal)
  --host HOST          listen on another interface (warns: prefer an SSH tunnel)
  --port PORT          listen on this port (default: any free port)
  --allow-origin URL   accept websocket handshakes from this browser origin (default: none)
  --runs-dir DIR       where run directories go (default: $TRELLIS_RUNS_DIR or ./runs)
${ENV_OPTIONS}
`,
  attach: `Usage: trellis attach [run-id | ws://host:port] [options]

Shows a run: live while its supervisor runs (history first, then new events), or replayed from
events.jsonl when it has finished. Without a run id, the latest run. Keys in the dashboard:
q detach (training continues), s stop (asks to confirm), c checkpoint now, ? help.

Options:
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
  ls: `Usage: trellis ls [--json] [--runs-dir DIR]

Lists runs with their status (running, finished, failed, stopped), trainer, steps and start time.
`,
  logs: `Usage: trellis logs [run-id] [--follow] [--json] [--runs-dir DIR]

Prints a run's events, one per line (--json: as JSON). --follow keeps printing live events until
the run ends. Without a run id, the latest run.
`,
  render: `Usage: trellis render <recipe.yaml> [--out DIR] [--trl-version X.Y]

Writes, for each stage, stage-<n>-<id>.py (a readable TRL script that runs with plain python)
and stage-<n>-<id>.json (every recipe value, read by the script as data), plus the small
trellis_runtime helpers they import.

Options:
  -o, --out DIR        output folder (default: ./rendered/<recipe name>)
  --trl-version X.Y    render for this TRL version (default: the managed environment's pin)
  --json               print what was written as JSON
`,
  import: IMPORT_HELP,
  export: EXPORT_HELP,
  check: `Usage: trellis check <recipe.yaml> [--trl-version X.Y] [--json]

Validates the recipe (keys, types, TRL arguments for the targeted TRL version, stage links) and
its local data files (present, with the columns each trainer needs). Runs no Python.
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
  env: `Usage: trellis env <setup|doctor> [options]

  setup    create the managed Python environment, or find it ready (see trellis env setup --help)
  doctor   report versions, CUDA and what is missing (see trellis env doctor --help)
`,
  "env setup": `Usage: trellis env setup [options]

Creates the managed venv from python/requirements.lock (exact pins), keyed by the lock's hash:
while the lock is unchanged, later runs reuse it and install nothing.

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
