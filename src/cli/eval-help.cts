/** `trellis eval --help`. CommonJS, so that bin/trellis.js can answer `--help` without the ESM loader. */
const EVAL_HELP = `Usage: trellis eval <run-id | model folder> --judge MODEL [options]
       trellis eval <run-id | model folder> --judge-url URL --judge-model NAME [--judge-key-env VAR] [options]

Which model answers better, judged pairwise: the starting model and the model after each stage of
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
verdict), eval.log; the run's manifest.json lists the evaluation.

Options:
  --judge MODEL        a local judge model: a folder or a Hub name (tiny-judge: a random tiny one, for trying it out)
  --judge-url URL      an OpenAI-compatible endpoint's base URL, ending in /v1
  --judge-model NAME   the model name to ask the endpoint for
  --judge-key-env VAR  the environment variable holding the endpoint's API key
  --judge-prompt FILE  the judge prompt: a text file with {question}, {answer_a}, {answer_b}
                       (default: python/trellis_runtime/judge_prompt.txt)
  --judge-timeout S    seconds per request to the endpoint (default 60)
  --judge-retries N    retries of a request that timed out, was refused or got 429/5xx (default 3; backoff 1, 2, 4 s)
  --prompts FILE       the prompts to answer (JSON lines) instead of the run's recorded ones
  --against MODEL      with a model folder: the model it is measured against (folder or Hub name)
  --max-new-tokens N   answer length for answers generated now (default: the recipe's, else 64)
  --seed N             the seed recorded and set before generating (default 0)
  --out DIR            where the report goes (default: <run>/eval, or <model folder>/trellis-eval)
  --json               print the result as one JSON line
  --plain              progress lines and the result as text (no colour)
  --runs-dir DIR       where runs are (default: $TRELLIS_RUNS_DIR or ./runs)
  --python, --reuse-torch, --wheelhouse, --venv, --extra   as for trellis run

Exit codes: 0 evaluated; 2 a refused input (no judge, no prompts, an unfinished run); 1 the
evaluation failed (an endpoint that refused or could not be reached, a model that failed to load).
`;
export = { EVAL_HELP };
