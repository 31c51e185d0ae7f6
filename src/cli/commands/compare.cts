/** `trellis compare`: the command table's entry (see spec.cts); the handler is src/cli/compare-command.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ENV_FLAGS, JUDGE_FLAGS, SECTIONS } = shared;

const COMPARE = {
  name: "compare",
  synopsis: "compare <arms.yaml>",
  summary: "ORPO against SFT then DPO (any arms) on the same data: scores, cost, report.md",
  usage: [
    "compare <compare.yaml | a.yaml b.yaml ...> [options]",
    "compare --resume <compare-id>",
    "compare --advise <recipe.yaml | compare.yaml | a.yaml b.yaml ...>",
    "compare --show <compare-id>",
  ],
  args: [
    {
      name: "compare.yaml | a.yaml b.yaml ...",
      help: "a comparison file (with a compare: list of arms), or two or more recipes",
    },
  ],
  description: `Runs each arm (a recipe: ORPO, SFT then DPO, DPO with LoRA...) as an ordinary trellis run, one
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
An interrupted comparison goes on arm by arm with --resume.`,
  flags: {
    advise: {
      type: "boolean",
      help: "what the rules of thumb suggest from the data and the model alone; runs nothing",
    },
    resume: {
      type: "string",
      value: "ID",
      help: "continue a comparison: finished arms are kept, the interrupted one resumes",
    },
    show: {
      type: "string",
      value: "ID",
      help: "the compare view of a finished comparison (x: device-seconds or tokens)",
    },
    "no-plot": { type: "boolean", help: "no plot (skips the matplotlib extra)" },
    json: { type: "boolean", help: "each arm's events as JSON lines, then one compare_end line" },
    plain: { type: "boolean", help: "progress lines instead of the dashboard, and the compare view as text" },
    "runs-dir": { type: "string", value: "DIR", default: "$TRELLIS_RUNS_DIR or ./runs", help: "where runs go" },
    ...JUDGE_FLAGS,
    ...ENV_FLAGS,
  },
  sections: {
    judge: {
      title:
        "Judged win rates: every arm's answers against the starting model's and each other arm's, both orders (see trellis eval --help):",
    },
    env: { title: SECTIONS.env.title, brief: "as for trellis run" },
  },
  handler: { module: "./compare-command.js", export: "compareCommand" },
} as const satisfies CommandSpec;

export = COMPARE;
