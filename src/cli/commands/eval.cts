/** `trellis eval`: the command table's entry (see spec.cts); the handler is src/cli/eval-command.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ENV_FLAGS, JUDGE_FLAGS, SECTIONS, RUNS_DIR } = shared;

const EVAL = {
  name: "eval",
  synopsis: "eval <run>",
  summary: "judged win rates of a run's models against its starting model (docs/evaluation.md)",
  usage: [
    "eval <run-id | model folder> --judge MODEL [options]",
    "eval <run-id | model folder> --judge-url URL --judge-model NAME [--judge-key-env VAR] [options]",
  ],
  args: [{ name: "run-id | model folder", help: "a finished run (id, prefix or latest), or a model folder" }],
  description: `Which model answers better, judged pairwise: the starting model and the model after each stage of
a finished run (or a model folder and the model given with --against) answer the same prompts,
then a judge compares each model's answers with the starting model's (and the final model's with
each earlier stage's), every prompt twice, each answer shown first once. Reports the win rate
with a Wilson 95% interval on prompts, a length-controlled win rate (the win rate at equal answer
lengths, as AlpacaEval 2), and the judge's position bias (how often the first answer wins).

Prompts: the run's recorded generations (the recipe's generations block: the start model's answers
before training, each stage's after), or --prompts FILE (JSON lines: a string or {"prompt": ...}),
answered now, greedy, by the same generation code. The judge is either a local causal LM (a folder
or a Hub name; the verdict read from its next-token probabilities of A, B and tie) or any
OpenAI-compatible endpoint (vLLM, llama.cpp's server, transformers serve, a hosted API; greedy,
the verdict read from its reply). The API key is read from the variable --judge-key-env names and
is never logged or written. See docs/evaluation.md for what the numbers mean and how far to trust
them (at 32 prompts a win rate's interval is about ±16 points).

Writes <run>/eval/ (or --out): report.md (answers, then the judge's table), eval.json (the same,
and the record: judge, judge prompt text and sha256, versions, seed), verdicts.json (every
verdict), eval.log; the run's manifest.json lists the evaluation. With --reward and --benchmark,
the report and eval.json also hold the reward model's scores and the benchmark scores, next to the
run's cost.`,
  flags: {
    ...JUDGE_FLAGS,
    reward: {
      type: "string",
      value: "MODEL",
      help: "also score every model's answers with this sequence-classification reward model (a folder or a Hub name; tiny: a random tiny one): mean reward and win rate against the starting model",
      section: "scores",
    },
    benchmark: {
      type: "string",
      multiple: true,
      value: "TASK",
      help: "also run this lm-evaluation-harness task for the starting model and the final one (a task YAML file, or a harness task name; repeatable; the lm-eval extra)",
      section: "scores",
    },
    "benchmark-limit": {
      type: "string",
      value: "N",
      help: "at most N questions of each benchmark task (quicker, noisier)",
      section: "scores",
    },
    prompts: {
      type: "string",
      value: "FILE",
      help: "the prompts to answer (JSON lines) instead of the run's recorded ones",
    },
    against: {
      type: "string",
      value: "MODEL",
      help: "with a model folder: the model it is measured against (folder or Hub name)",
    },
    "max-new-tokens": {
      type: "string",
      value: "N",
      default: "the recipe's, else 64",
      help: "answer length for answers generated now",
    },
    seed: { type: "string", value: "N", default: "0", help: "the seed recorded and set before generating" },
    out: {
      type: "string",
      value: "DIR",
      default: "<run>/eval, or <model folder>/trellis-eval",
      help: "where the report goes",
    },
    json: { type: "boolean", help: "print the result as one JSON line" },
    plain: { type: "boolean", help: "progress lines and the result as text (no colour)" },
    "runs-dir": RUNS_DIR,
    ...ENV_FLAGS,
  },
  sections: {
    judge: SECTIONS.judge,
    scores: {
      title: "After the judge, optionally (as compare's reward: and benchmarks: blocks; docs/evaluation-scores.md):",
    },
    env: { title: SECTIONS.env.title, brief: "as for trellis run" },
  },
  notes: `Exit codes: 0 evaluated; 2 a refused input (no judge, no prompts, an unfinished run); 1 the
evaluation failed (an endpoint that refused or could not be reached, a model that failed to load).`,
  handler: { module: "./eval-command.js", export: "evalCommand" },
} as const satisfies CommandSpec;

export = EVAL;
