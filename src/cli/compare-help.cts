/** `trellis compare --help`. CommonJS, so that bin/trellis.js can answer `--help` without the ESM loader. */
const COMPARE_HELP = `Usage: trellis compare <compare.yaml | a.yaml b.yaml ...> [options]
       trellis compare --resume <compare-id>
       trellis compare --advise <recipe.yaml | compare.yaml | a.yaml b.yaml ...>
       trellis compare --show <compare-id>

Runs each arm (a recipe: ORPO, SFT then DPO, DPO with LoRA...) as an ordinary trellis run, one
after another, on the same data, seed and held-out pairs, then scores every arm and the starting
model alike: preference accuracy (per token and summed), mean margin, NLL of the chosen answers,
and greedy answers to the same prompts. A comparison file lists the arms and the settings they
share:

  name: quickstart-compare
  compare: [quickstart-orpo.yaml, quickstart-sft-dpo.yaml]
  generations: { count: 3, max_new_tokens: 8, every_steps: 40 }
  reward: { model: org/reward-model }          # optional: or a folder, or tiny: {}
  benchmarks: { tasks: [my-task.yaml, hellaswag], limit: 200 }   # optional: lm-eval extra

With reward, a sequence-classification reward model scores every model's answers (mean reward,
win rate against the starting model, 95% intervals); with benchmarks, lm-evaluation-harness runs
each task for the starting model and every arm (score and change). See docs/evaluation-scores.md.

Arms that differ in data, seed, model or scoring are refused, naming the field. Writes
runs/<compare-id>/report.md (scores, cost per stage and arm in wall time, device-seconds and
tokens, a plot drawn with the matplotlib extra, the generations side by side, and a plain
reading against the rules of thumb), result.json and plot.png; each arm's run is in runs/ too.
An interrupted comparison goes on arm by arm with --resume.

Options:
  --advise             what the rules of thumb suggest from the data and the model alone; runs nothing
  --resume ID          continue a comparison: finished arms are kept, the interrupted one resumes
  --show ID            the compare view of a finished comparison (x: device-seconds or tokens)
  --no-plot            no plot (skips the matplotlib extra)
  --json               each arm's events as JSON lines, then one compare_end line
  --plain              progress lines instead of the dashboard, and the compare view as text
  --runs-dir DIR       where runs go (default: $TRELLIS_RUNS_DIR or ./runs)
  --python, --reuse-torch, --wheelhouse, --venv, --extra   as for trellis run
`;
export = { COMPARE_HELP };
