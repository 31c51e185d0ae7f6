/**
 * Foreign training configs (TRL CLI, alignment-handbook, axolotl, LLaMA-Factory) as trellis
 * recipes. Pure: the caller reads the file. Every source key gets exactly one report row:
 * mapped (to a recipe path), migrated (renamed, or removed in TRL 1.13 with what replaces it),
 * or unsupported (with the reason). Nothing is dropped silently.
 */
import { shown } from "../../shown.js";
import { type Trainer } from "../../recipe/schema.js";
import { importAxolotl, axolotlTrainer } from "./axolotl.js";
import { Draft, recipeName } from "./draft.js";
import { importFlat } from "./flat.js";
import { importLlamaFactory, llamaFactoryTrainer } from "./llamafactory/v0.js";
import { importLlamaFactoryV1, isLlamaFactoryV1, llamaFactoryV1Trainer } from "./llamafactory/v1.js";
import { carryPackages } from "./packages.js";
import { Report } from "./report.js";
import { inferTrainer } from "./trainer.js";
import {
  isMapping,
  type DetectedFormat,
  type ImportOptions,
  type ImportResult,
  type Raw,
  type ReportRow,
} from "./types.js";

export { detectFormat } from "./detect.js";
export { isLlamaFactoryV1 } from "./llamafactory/v1.js";
export { mapLocalPaths, mergeOverride, rebasePaths } from "./override.js";
export { formatReport } from "./report-table.js";
export * from "./types.js";

export function importConfig(raw: Raw, format: DetectedFormat, options: ImportOptions): ImportResult {
  if (format === "trellis") return asIs(raw);
  const report = new Report();
  const { trainer, reason } = chooseTrainer(raw, format, options);
  const d = new Draft(recipeName(options.file), trainer, report);
  if (format === "axolotl") importAxolotl(d, raw);
  else if (format === "llamafactory" && isLlamaFactoryV1(raw)) importLlamaFactoryV1(d, raw, options.datasetFiles);
  else if (format === "llamafactory") importLlamaFactory(d, raw, options.datasetInfo);
  else importFlat(d, raw);

  for (const key of Object.keys(raw)) {
    if (!report.rows.some((r) => r.key === key || r.key.startsWith(`${key}.`) || r.key.startsWith(`${key}[`))) {
      report.unsupported(key, "not understood by the importer");
    }
  }
  const evaluates =
    (typeof d.args.eval_strategy === "string" && d.args.eval_strategy !== "no") || d.args.do_eval === true;
  if (evaluates && !d.eval) {
    report.note(
      `the stage evaluates (eval_strategy ${JSON.stringify(d.args.eval_strategy ?? "no")}${d.args.do_eval ? ", do_eval" : ""}) but the recipe has no eval data: add data.eval (a Hub split, files, or {fraction: 0.05}) or set eval_strategy: "no"`,
    );
  }
  if (!d.train)
    report.note("no training data was found: give data.train (a Hub dataset or files), e.g. with --override");
  if (d.model.name === undefined) report.note("no model was found: give model.name, e.g. with --override");
  let recipe = d.toRecipe();
  if (options.packages) {
    const carried = carryPackages(recipe, report.rows, options.packages);
    recipe = carried.recipe;
    carried.notes.forEach((n) => report.note(n));
  }
  return {
    recipe,
    report: inSourceOrder(report.rows, raw),
    trainer,
    trainerReason: reason,
    notes: report.notes,
  };
}

function chooseTrainer(raw: Raw, format: DetectedFormat, options: ImportOptions): { trainer: Trainer; reason: string } {
  if (format === "trl" || format === "handbook") return inferTrainer(raw, options.file, options.text, options.trainer);
  // v1 has no stage key: the command (`llamafactory-cli sft|dpo`) chose the trainer.
  if (format === "llamafactory" && isLlamaFactoryV1(raw))
    return llamaFactoryV1Trainer(raw, options.file, options.datasetFiles, options.trainer);
  const own = format === "axolotl" ? axolotlTrainer(raw) : llamaFactoryTrainer(raw);
  const said =
    format === "axolotl"
      ? `rl: ${shown(raw.rl ?? "(none: SFT)")}`
      : `stage: ${shown(raw.stage ?? "sft")}${raw.pref_loss ? `, pref_loss: ${shown(raw.pref_loss)}` : ""}`;
  if (options.trainer && options.trainer !== own)
    return { trainer: options.trainer, reason: `--trainer (the file says ${said})` };
  return { trainer: own, reason: said };
}

/** A trellis recipe imports as itself. */
function asIs(raw: Raw): ImportResult {
  const stages = Array.isArray(raw.stages) ? raw.stages : [];
  const first = isMapping(stages[0]) ? stages[0] : {};
  const trainer = (typeof first.trainer === "string" ? first.trainer : "sft") as Trainer;
  const report: ReportRow[] = Object.keys(raw).map((key) => ({
    key,
    status: "mapped",
    to: key,
    note: "already a trellis recipe",
  }));
  return { recipe: raw, report, trainer, trainerReason: "a trellis recipe", notes: [] };
}

/** Rows follow the source's key order (handlers run in another order). */
function inSourceOrder(rows: ReportRow[], raw: Raw): ReportRow[] {
  const order = new Map(Object.keys(raw).map((k, i) => [k, i]));
  const top = (key: string) => {
    if (order.has(key)) return order.get(key)!;
    for (const k of order.keys())
      if (key === k || key.startsWith(`${k}.`) || key.startsWith(`${k}[`)) return order.get(k)!;
    return order.size;
  };
  return rows
    .map((row, i) => ({ row, i, at: top(row.key) }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.row);
}
