// Benchmark: padding-free preference training against TRL's padded batches, side by side.
// The same recipe (a tiny Llama, DPO by default) on generated preference pairs with
// ultrafeedback-like lengths, run with `padding_free: false` (TRL's padded concatenated batch)
// and with trellis's default (python/trellis_runtime/padding_free.py), in turn A B A B, one
// process each, same seed and data order. Per run, from trellis's own metrics events: real
// tokens/s (padding excluded), step time, the padding fraction of the padded batches, the loss
// at every step; peak RSS of the run's process tree from GNU time. Medians over the runs of each
// arm; the largest loss difference between the arms' curves, step by step.
//
//   npm run build && node bench/padding-free.mjs [--pairs 48] [--runs 3] [--trainer dpo|orpo]
//
// Writes bench/results/padding-free.json (the machine and its load with it). On a shared machine
// the numbers are noisy: ABAB order and medians keep the comparison fair, not quiet.
//
// Lengths. UltraFeedback (trl-lib/ultrafeedback_binarized, from HuggingFaceH4's) publishes byte
// totals, not token statistics: its card gives train_prefs 405,688,662 bytes for 61,135 rows,
// ~6,640 bytes a row, which holds the prompt four times (prompt, and the first message of chosen,
// rejected and messages) and the chosen answer twice, the rejected once: 4P + 3A ~ 6,640 bytes.
// The shapes below are our assumption, consistent with that total at ~4 bytes a token (P ~ 150
// tokens, A ~ 330 tokens: 4*600 + 3*1,320 = 6,360 bytes): log-normal prompt lengths (median 90
// tokens, sigma 0.9: a long tail of pasted documents) and answer lengths (median 280, sigma
// 0.6), chosen and rejected drawn independently, everything cut at max_length 1024 as TRL does.
// The generated text's real token counts are measured, not assumed: see real_tokens_per_sequence.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { machine, median, round } from "./lib.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    pairs: { type: "string", default: "48" },
    runs: { type: "string", default: "3" },
    trainer: { type: "string", default: "dpo" },
    batch: { type: "string", default: "4" },
    hidden: { type: "string", default: "128" },
    out: { type: "string", default: "bench/results/padding-free.json" },
  },
});
const LENGTHS = {
  source: "assumed log-normal shapes, consistent with the byte totals of trl-lib/ultrafeedback_binarized's card",
  prompt_tokens: { median: 90, sigma: 0.9 },
  answer_tokens: { median: 280, sigma: 0.6 },
  max_length: 1024,
};
const atStart = machine();
const trellis = path.join(root, "bin/trellis.js");
const python = JSON.parse(execFileSync(process.execPath, [trellis, "env", "doctor", "--json"], { encoding: "utf8" }))
  .python.path;
const work = mkdtempSync(path.join(tmpdir(), "trellis-padding-free-"));
const colours = path.join(root, "recipes/data/colors-train.jsonl");

// A seeded generator: both arms train on the same file, and the bench on the same data each time.
let seed = 20261207;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const logNormal = ({ median: m, sigma }) => Math.max(4, Math.round(m * Math.exp(sigma * normal())));
// Words of the bundled colour pairs, which the tiny model's tokenizer is trained on: drawn at
// random they take 3.8 tokens a word on average (measured with that tokenizer on this data).
const TOKENS_PER_WORD = 3.8;
const words = [
  ...new Set(
    readFileSync(colours, "utf8")
      .split(/[^A-Za-z]+/)
      .filter(Boolean),
  ),
];
const text = (tokens) =>
  Array.from(
    { length: Math.max(1, Math.round(tokens / TOKENS_PER_WORD)) },
    () => words[Math.floor(random() * words.length)],
  ).join(" ");
const rows = Array.from({ length: Number(values.pairs) }, () => ({
  prompt: text(logNormal(LENGTHS.prompt_tokens)),
  chosen: ` ${text(logNormal(LENGTHS.answer_tokens))}`,
  rejected: ` ${text(logNormal(LENGTHS.answer_tokens))}`,
}));
const data = path.join(work, "pairs.jsonl");
writeFileSync(data, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");

const recipeFor = (paddingFree) => {
  const file = path.join(work, `recipe-${paddingFree ? "padding-free" : "padded"}.yaml`);
  writeFileSync(
    file,
    `name: bench-padding-free
seed: 42
preference_eval: false
model:
  tiny: {hidden_size: ${Number(values.hidden)}, num_layers: 2, num_heads: 4, vocab_size: 320, data: [${JSON.stringify(colours)}]}
  dtype: float32
data:
  train: ${JSON.stringify(data)}
stages:
  - id: pref
    trainer: ${values.trainer}
    args:
      per_device_train_batch_size: ${Number(values.batch)}
      learning_rate: 1.0e-4
      num_train_epochs: 1
      beta: 0.1
      max_length: ${LENGTHS.max_length}
      gradient_checkpointing: false
      logging_steps: 1
      save_strategy: "no"
      padding_free: ${paddingFree}
`,
  );
  return file;
};

/**
 * Renders the recipe (`trellis render`) and runs its one stage with plain python under GNU time:
 * the metrics events the script writes (TRELLIS_EVENTS_FILE) and the training process's peak
 * RSS (%M). The script is the one `trellis run` runs; no supervisor sits in between.
 */
function render(recipe, dir) {
  const out = JSON.parse(
    execFileSync(process.execPath, [trellis, "render", recipe, "--out", dir, "--json"], { encoding: "utf8" }),
  );
  return path.join(dir, path.basename(out.stages[0].script));
}

function runOnce(script, name) {
  const rssFile = path.join(work, `${name}.rss`);
  const eventsFile = path.join(work, `${name}.events.jsonl`);
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/time", ["-f", "%M", "-o", rssFile, python, script], {
      cwd: path.dirname(script),
      env: { ...process.env, TRELLIS_EVENTS_FILE: eventsFile },
      stdio: ["ignore", "ignore", "ignore"],
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`${script} exited ${code}: see ${eventsFile}`));
      const events = readFileSync(eventsFile, "utf8")
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l));
      const kib = Number(readFileSync(rssFile, "utf8").trim().split("\n").at(-1));
      resolve({ events, peakRssMiB: kib / 1024 });
    });
  });
}

function summarise({ events, peakRssMiB }) {
  const steps = events.filter((e) => e.type === "metrics" && e.throughput && e.metrics?.loss !== undefined);
  const measured = steps.slice(2); // the first steps warm caches and allocators up
  const t = (k) => median(measured.map((e) => e.throughput[k]).filter((x) => typeof x === "number"));
  // CPU seconds of the training process between the first measured step and the last: on a
  // shared machine less disturbed by other work than wall time (usage is cumulative).
  const [first, last] = [measured[0]?.usage, steps.at(-1)?.usage];
  const cpuRate = first && last ? (last.tokens - first.tokens) / (last.cpu_s - first.cpu_s) : null;
  return {
    steps: steps.length,
    real_tokens_per_s: round(t("tokens_per_s"), 1),
    real_tokens_per_cpu_s: round(cpuRate, 1),
    step_s: round(t("seconds"), 4),
    padding_fraction: round(t("padding_fraction"), 3),
    real_tokens_per_sequence: round(t("tokens_per_s") / t("samples_per_s") / 2, 1),
    peak_rss_mib: round(peakRssMiB, 1),
    losses: steps.map((e) => e.metrics.loss),
  };
}

const scripts = {
  padded: render(recipeFor(false), path.join(work, "rendered-padded")),
  padding_free: render(recipeFor(true), path.join(work, "rendered-padding-free")),
};
const arms = { padded: [], padding_free: [] };
for (let i = 0; i < Number(values.runs); i++) {
  for (const arm of ["padded", "padding_free"]) {
    const result = summarise(await runOnce(scripts[arm], `${arm}-${i}`));
    console.error(`${arm} #${i + 1}: ${result.real_tokens_per_s} real tokens/s, ${result.step_s} s/step`);
    arms[arm].push(result);
  }
}

const med = (arm, k) => median(arms[arm].map((r) => r[k]));
const worstLoss = Math.max(
  ...arms.padded.flatMap((p) =>
    arms.padding_free.flatMap((f) => p.losses.map((l, i) => Math.abs(l - (f.losses[i] ?? Number.NaN)))),
  ),
);
const summary = (arm) => ({
  real_tokens_per_s: med(arm, "real_tokens_per_s"),
  real_tokens_per_cpu_s: med(arm, "real_tokens_per_cpu_s"),
  step_s: med(arm, "step_s"),
  peak_rss_mib: med(arm, "peak_rss_mib"),
});
const result = {
  bench: "padding-free",
  what: `${values.trainer} on ${values.pairs} generated pairs (ultrafeedback-like lengths), tiny Llama hidden ${values.hidden}, micro-batch ${values.batch} pairs, 1 process, padded (padding_free: false) and padding-free in turn (ABAB), ${values.runs} runs each; medians`,
  lengths: LENGTHS,
  machine: { ...atStart, loadavg_at_end: machine().loadavg_at_start },
  padded: summary("padded"),
  padding_free: summary("padding_free"),
  real_tokens_per_s_ratio: round(med("padding_free", "real_tokens_per_s") / med("padded", "real_tokens_per_s"), 2),
  // Each padding-free run over the padded run just before it (ABAB): the load drifts less within a pair.
  real_tokens_per_s_ratio_of_adjacent_runs: round(
    median(arms.padded.map((p, i) => arms.padding_free[i].real_tokens_per_s / p.real_tokens_per_s)),
    2,
  ),
  real_tokens_per_cpu_s_ratio: round(
    med("padding_free", "real_tokens_per_cpu_s") / med("padded", "real_tokens_per_cpu_s"),
    2,
  ),
  peak_rss_ratio: round(med("padding_free", "peak_rss_mib") / med("padded", "peak_rss_mib"), 3),
  padding_fraction_of_padded_batches: med("padded", "padding_fraction"),
  real_tokens_per_sequence: med("padded", "real_tokens_per_sequence"),
  largest_loss_difference: round(worstLoss, 6),
  runs: Object.fromEntries(Object.entries(arms).map(([k, v]) => [k, v.map(({ losses: _l, ...r }) => r)])),
};
writeFileSync(path.resolve(root, values.out), JSON.stringify(result, null, 2) + "\n");
console.log(JSON.stringify({ ...result, runs: undefined }, null, 2));
rmSync(work, { recursive: true, force: true });
