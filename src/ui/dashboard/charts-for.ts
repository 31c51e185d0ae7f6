/**
 * Which charts and table rows each trainer gets, in the order practitioners read them
 * (docs/design/DASHBOARD.md §6.1): DPO margins and accuracies against their 0 and 0.5 guides, the loss
 * against ln 2; ORPO's NLL and log-odds; KTO's KL term and its desirable/undesirable rewards (TRL
 * logs them as rewards/chosen and rewards/rejected) against 0, the loss against its start at 0.5
 * (1 - sigmoid(0)); CPO's and SimPO's margins, accuracies and NLL (no reference: their rewards are
 * beta times the policy's own log-probs, SimPO's per token); SFT's loss and token accuracy. Eval values overlay
 * their training metric as dots.
 */
import type { Series } from "../../core/chart/series.js";
import type { StageDetail } from "../../core/run/stage-detail.js";
import { matchesFilter } from "./settings.js";

const LN2 = Math.LN2;

export type Tone = "primary" | "good" | "bad" | "eval";

interface LayerSpec {
  metric: string;
  source: "train" | "eval";
  style: "line" | "dots";
  tone: Tone;
}

export interface ChartSpec {
  id: string;
  title: string;
  layers: LayerSpec[];
  guides: number[];
}

interface Def {
  metric: string;
  title?: string;
  guides?: number[];
  /** A second training metric drawn under the first (chosen over rejected). */
  pair?: string;
}

const CHARTS: Record<string, Def[]> = {
  dpo: [
    { metric: "loss", guides: [LN2] },
    { metric: "rewards/margins", guides: [0] },
    { metric: "rewards/accuracies", guides: [0.5] },
    { metric: "rewards/chosen", pair: "rewards/rejected", title: "rewards ch/rej", guides: [0] },
    { metric: "grad_norm" },
    { metric: "logps/chosen", pair: "logps/rejected", title: "logps ch/rej" },
  ],
  orpo: [
    { metric: "loss" },
    { metric: "nll_loss" },
    { metric: "log_odds_ratio", guides: [-LN2] },
    { metric: "rewards/accuracies", guides: [0.5] },
    { metric: "rewards/margins", guides: [0] },
    { metric: "log_odds_chosen", guides: [0] },
    { metric: "grad_norm" },
  ],
  kto: [
    { metric: "loss", guides: [0.5] },
    { metric: "rewards/chosen", pair: "rewards/rejected", title: "rewards des/undes", guides: [0] },
    { metric: "rewards/margins", title: "reward gap des-undes", guides: [0] },
    { metric: "kl", title: "KL estimate", guides: [0] },
    { metric: "grad_norm" },
    { metric: "logps/chosen", pair: "logps/rejected", title: "logps des/undes" },
  ],
  cpo: [
    { metric: "loss" },
    { metric: "rewards/margins", guides: [0] },
    { metric: "rewards/accuracies", guides: [0.5] },
    { metric: "nll_loss" },
    { metric: "rewards/chosen", pair: "rewards/rejected", title: "rewards ch/rej" },
    { metric: "grad_norm" },
    { metric: "logps/chosen", pair: "logps/rejected", title: "logps ch/rej" },
  ],
  simpo: [
    { metric: "loss" },
    { metric: "rewards/margins", title: "margins (vs gamma)", guides: [0] },
    { metric: "rewards/accuracies", guides: [0.5] },
    { metric: "rewards/chosen", pair: "rewards/rejected", title: "rewards ch/rej" },
    { metric: "logps/chosen", pair: "logps/rejected", title: "logps ch/rej" },
    { metric: "grad_norm" },
  ],
  sft: [
    { metric: "loss" },
    { metric: "mean_token_accuracy", title: "token accuracy" },
    { metric: "grad_norm" },
    { metric: "learning_rate" },
  ],
};
const FALLBACK: Def[] = [{ metric: "loss" }, { metric: "grad_norm" }, { metric: "learning_rate" }];

/** Table rows worth showing first, per trainer, after the eval metrics. */
const KPI: Record<string, string[]> = {
  dpo: [
    "rewards/accuracies",
    "rewards/margins",
    "rewards/chosen",
    "rewards/rejected",
    "grad_norm",
    "logps/chosen",
    "logps/rejected",
    "learning_rate",
    "entropy",
    "mean_token_accuracy",
  ],
  orpo: [
    "rewards/accuracies",
    "nll_loss",
    "log_odds_ratio",
    "log_odds_chosen",
    "rewards/margins",
    "grad_norm",
    "rewards/chosen",
    "rewards/rejected",
    "learning_rate",
  ],
  kto: [
    "rewards/chosen",
    "rewards/rejected",
    "rewards/margins",
    "kl",
    "grad_norm",
    "logps/chosen",
    "logps/rejected",
    "learning_rate",
  ],
  cpo: [
    "rewards/accuracies",
    "rewards/margins",
    "nll_loss",
    "rewards/chosen",
    "rewards/rejected",
    "logps/chosen",
    "logps/rejected",
    "grad_norm",
    "learning_rate",
  ],
  simpo: [
    "rewards/accuracies",
    "rewards/margins",
    "rewards/chosen",
    "rewards/rejected",
    "logps/chosen",
    "logps/rejected",
    "grad_norm",
    "learning_rate",
  ],
  sft: ["mean_token_accuracy", "grad_norm", "learning_rate", "entropy"],
};
const EVAL_KPI = [
  "eval_loss",
  "eval_rewards/accuracies",
  "eval_rewards/margins",
  "eval_kl",
  "eval_mean_token_accuracy",
  "eval_nll_loss",
  "eval_log_odds_ratio",
];
/** Bookkeeping, not training signals. */
const NOT_KPI = /^(num_tokens|epoch|logits\/.*|eval_(runtime|samples_per_second|steps_per_second|num_tokens|entropy))$/;

/** The charts for this stage whose metric has data. `color` off draws a pair's second series as dots. */
export function chartSpecs(detail: StageDetail, color: boolean, filter = ""): ChartSpec[] {
  const defs = CHARTS[detail.trainer] ?? FALLBACK;
  const out: ChartSpec[] = [];
  for (const d of defs) {
    if (!detail.history.has(d.metric)) continue;
    if (!matchesFilter(d.metric, filter) && !(d.pair && matchesFilter(d.pair, filter))) continue;
    const layers: LayerSpec[] = [
      { metric: d.metric, source: "train", style: "line", tone: d.pair ? "good" : "primary" },
    ];
    if (d.pair && detail.history.has(d.pair))
      layers.push({ metric: d.pair, source: "train", style: color ? "line" : "dots", tone: "bad" });
    const evalName = `eval_${d.metric}`;
    if (!d.pair && detail.evalHistory.has(evalName))
      layers.push({ metric: evalName, source: "eval", style: "dots", tone: "eval" });
    out.push({ id: d.metric, title: d.title ?? d.metric, layers, guides: d.guides ?? [] });
  }
  return out;
}

export function seriesOf(detail: StageDetail, layer: LayerSpec): Series | undefined {
  return (layer.source === "eval" ? detail.evalHistory : detail.history).get(layer.metric);
}

interface KpiRow {
  name: string;
  series: Series;
}

/** Table rows: eval metrics first, then the trainer's list, then the rest; minus `exclude`. */
export function kpiRows(detail: StageDetail, exclude: ReadonlySet<string>, filter = ""): KpiRow[] {
  const rows: KpiRow[] = [];
  const seen = new Set(exclude);
  const add = (name: string, series: Series | undefined) => {
    if (!series || seen.has(name) || NOT_KPI.test(name) || !matchesFilter(name, filter)) return;
    seen.add(name);
    rows.push({ name, series });
  };
  for (const name of EVAL_KPI) add(name, detail.evalHistory.get(name));
  for (const name of KPI[detail.trainer] ?? []) add(name, detail.history.get(name));
  for (const [name, s] of detail.history) add(name, s);
  return rows;
}

/** "eval_rewards/accuracies" reads better as "eval/rewards/accuracies". */
export function displayName(metric: string): string {
  return metric.startsWith("eval_") ? `eval/${metric.slice(5)}` : metric;
}
