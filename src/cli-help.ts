/** `--help` text of every command. */

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
  render <recipe.yaml>   write each stage's standalone TRL script (and its JSON values)
  check <recipe.yaml>    validate a recipe and its data files, run nothing
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

Options:
  --json               print events as JSON lines on stdout (the default without a TTY)
  --runs-dir DIR       where run directories go (default: $TRELLIS_RUNS_DIR or ./runs)
${ENV_OPTIONS}
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
  check: `Usage: trellis check <recipe.yaml> [--trl-version X.Y] [--json]

Validates the recipe (keys, types, TRL arguments for the targeted TRL version, stage links) and
its local data files (present, with the columns each trainer needs). Runs no Python.
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
