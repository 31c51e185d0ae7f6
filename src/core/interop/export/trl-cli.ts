/**
 * A recipe as TRL CLI configs: one flat YAML per stage (`trl sft|dpo --config <stage>.yaml`),
 * where the stage can be said that way, and the reasons where it cannot. Pure: the caller writes
 * the files. Local paths are made absolute against `recipeDir`, since `trl` reads them against
 * wherever it is started.
 */
import { shown } from "../../shown.js";
import path from "pathe";
import { formatOf } from "../../recipe/resolve.js";
import type { Data, Recipe, Source, Stage } from "../../recipe/schema.js";
import { toPyYaml } from "./pyyaml.js";

interface ExportedStage {
  stage: string;
  trainer: "sft" | "dpo";
  file: string;
  text: string;
  /** What the TRL CLI will do differently from `trellis run`. */
  notes: string[];
}

interface SkippedStage {
  stage: string;
  trainer: string;
  reasons: string[];
}

export interface TrlExport {
  stages: ExportedStage[];
  skipped: SkippedStage[];
}

interface ExportOptions {
  /** The recipe file's folder: relative data paths and output_dir resolve against it. */
  recipeDir: string;
  recipeFile?: string;
}

export function exportToTrlCli(recipe: Recipe, options: ExportOptions): TrlExport {
  const outputRoot = recipe.output_dir ? path.resolve(options.recipeDir, recipe.output_dir) : "output";
  const out: TrlExport = { stages: [], skipped: [] };
  for (const stage of recipe.stages) {
    const result = exportStage(recipe, stage, outputRoot, options);
    if ("reasons" in result) out.skipped.push(result);
    else out.stages.push(result);
  }
  return out;
}

function exportStage(
  recipe: Recipe,
  stage: Stage,
  outputRoot: string,
  options: ExportOptions,
): ExportedStage | SkippedStage {
  const reasons: string[] = [];
  const notes: string[] = [];
  if (stage.trainer === "orpo")
    reasons.push(
      "TRL has no `trl orpo` command (ORPO lives in trl.experimental.orpo): run it with `trellis run`, or `trellis render` for a standalone script",
    );
  // TRL 1.13's CLI has dpo, sft, kto, grpo, rloo, reward: no cpo (trl/scripts).
  if (stage.trainer === "cpo" || stage.trainer === "simpo")
    reasons.push(
      `TRL has no \`trl cpo\` command (CPO${stage.trainer === "simpo" ? ", and SimPO its loss_type," : ""} lives in trl.experimental.cpo): run it with \`trellis run\`, or \`trellis render\` for a standalone script`,
    );
  if (recipe.model.tiny)
    reasons.push("model.tiny is built by trellis; the TRL CLI needs model_name_or_path (a Hub id or a folder)");
  const data = stage.data ?? recipe.data;
  if (Object.keys(data.columns).length)
    reasons.push(
      `data.columns renames columns (${Object.entries(data.columns)
        .map(([k, v]) => `${v} -> ${k}`)
        .join(", ")}); the TRL CLI reads the standard names: rename them in the data`,
    );
  const dataKeys = datasetKeys(data, stage, options.recipeDir, reasons, notes);
  if (reasons.length) return { stage: stage.id, trainer: stage.trainer, reasons };

  const config: Record<string, unknown> = {};
  if (stage.from) {
    config.model_name_or_path = path.join(outputRoot, stage.from);
    notes.push(
      `starts from stage '${stage.from}': model_name_or_path is its output folder (${shown(config.model_name_or_path)}); run that stage first`,
    );
    const earlier = recipe.stages.find((s) => s.id === stage.from);
    if (earlier?.peft)
      notes.push(
        `'${stage.from}' saves a LoRA adapter: trellis merges it before this stage, the TRL CLI loads the adapter onto its base model without merging`,
      );
  } else config.model_name_or_path = recipe.model.name;
  if (recipe.model.revision && !stage.from) config.model_revision = recipe.model.revision;
  config.dtype = recipe.model.dtype;
  if (recipe.model.trust_remote_code) config.trust_remote_code = true;
  if (recipe.model.attn_implementation) config.attn_implementation = recipe.model.attn_implementation;
  Object.assign(config, quantizationKeys(recipe, notes));
  if (stage.merge)
    notes.push(
      "merge: true is trellis's own: after this stage, merge the adapter with `trellis merge` or PEFT's merge_and_unload",
    );
  if (recipe.model.chat_template)
    notes.push(
      "model.chat_template is not carried: the TRL CLI has no inline chat template (SFT takes chat_template_path: a file or a tokenizer with the template)",
    );
  Object.assign(config, dataKeys);
  if (stage.peft) {
    const p = stage.peft;
    Object.assign(config, {
      use_peft: true,
      lora_r: p.r,
      lora_alpha: p.lora_alpha,
      lora_dropout: p.lora_dropout,
      lora_target_modules: p.target_modules,
    });
    if (p.modules_to_save) config.lora_modules_to_save = p.modules_to_save;
    if (p.use_rslora !== undefined) config.use_rslora = p.use_rslora;
    if (p.use_dora !== undefined) config.use_dora = p.use_dora;
    if (p.bias !== "none") notes.push(`peft.bias ${p.bias} is not carried: TRL's ModelConfig has no LoRA bias setting`);
  }
  config.seed = recipe.seed;
  config.output_dir = path.join(outputRoot, stage.id);
  for (const [k, v] of Object.entries(stage.args)) config[k] = v;
  // The eval data could not be carried: a script that evaluates would look for a missing split.
  if (dataKeys.eval_strategy === "no") config.eval_strategy = "no";
  if (recipe.preference_eval !== false && data.eval)
    notes.push(
      "the held-out preference accuracy before/after (preference_eval) is trellis's own: the TRL CLI does not measure it",
    );
  if (stage.args.bf16 !== false)
    notes.push("without a GPU, set bf16: false (TRL turns bf16 on by default; trellis turns it off itself)");

  const trainer = stage.trainer as "sft" | "dpo";
  const file = `${stage.id}.yaml`;
  const comments = [
    `Exported by trellis from recipe '${recipe.name}'${options.recipeFile ? ` (${options.recipeFile})` : ""}, stage '${stage.id}'.`,
    `Run: trl ${trainer} --config ${file}`,
    ...notes.map((n) => `Note: ${n}`),
    "",
  ];
  return { stage: stage.id, trainer, file, text: toPyYaml(config, comments), notes };
}

/** ScriptArguments / DatasetMixtureConfig keys for the stage's data. */
function datasetKeys(
  data: Data,
  stage: Stage,
  recipeDir: string,
  reasons: string[],
  notes: string[],
): Record<string, unknown> {
  const train = data.train as Source;
  const ev = data.eval;
  const evaluates = typeof stage.args.eval_strategy === "string" && stage.args.eval_strategy !== "no";
  const keys: Record<string, unknown> = {};
  const files = (p: string | string[]) => (Array.isArray(p) ? p : [p]).map((f) => path.resolve(recipeDir, f));
  const noEval = (why: string) => {
    notes.push(
      `data.eval is not carried: ${why}${evaluates ? '; eval_strategy is set to "no" so the script does not look for a test split' : ""}`,
    );
    if (evaluates) keys.eval_strategy = "no";
  };
  if (train.hub !== undefined) {
    if (train.revision)
      notes.push(`the dataset revision ${train.revision} is not carried: the TRL CLI has no dataset revision`);
    const sameDataset = ev?.hub === train.hub && ev.config === train.config;
    if (ev?.fraction !== undefined) {
      keys.datasets = [
        { path: train.hub, ...(train.config ? { name: train.config } : {}), split: train.split ?? "train" },
      ];
      keys.test_split_size = ev.fraction;
      notes.push("TRL's test_split_size splits without a seed: the held-out rows differ from trellis's");
      return keys;
    }
    keys.dataset_name = train.hub;
    if (train.config) keys.dataset_config = train.config;
    keys.dataset_train_split = train.split ?? "train";
    if (ev && sameDataset) keys.dataset_test_split = ev.split ?? "train";
    else if (ev) noEval("the TRL CLI evaluates on a split of the training dataset only");
    return keys;
  }
  if (train.path !== undefined) {
    const format = train.format ?? formatOf(files(train.path)[0]!);
    if (!format) {
      reasons.push(`cannot tell the format of ${files(train.path)[0]}`);
      return keys;
    }
    keys.datasets = [{ path: format, data_files: files(train.path), split: "train" }];
    if (ev?.fraction !== undefined) {
      keys.test_split_size = ev.fraction;
      notes.push("TRL's test_split_size splits without a seed: the held-out rows differ from trellis's");
    } else if (ev) noEval("the TRL CLI's dataset mixture cannot name separate eval files (only test_split_size)");
  }
  return keys;
}

/** TRL ModelConfig's bitsandbytes keys for model.quantization (its 4-bit compute dtype is `dtype`, as in trellis's auto). */
function quantizationKeys(recipe: Recipe, notes: string[]): Record<string, unknown> {
  const q = recipe.model.quantization;
  if (!q) return {};
  if (q.bits === 8) return { load_in_8bit: true };
  const keys: Record<string, unknown> = {
    load_in_4bit: true,
    bnb_4bit_quant_type: q.quant_type ?? "nf4",
    use_bnb_nested_quant: q.double_quant ?? true,
  };
  if (q.quant_storage) keys.bnb_4bit_quant_storage = q.quant_storage;
  if (q.compute_dtype && q.compute_dtype !== "auto" && q.compute_dtype !== recipe.model.dtype) {
    notes.push(
      `model.quantization.compute_dtype ${q.compute_dtype} is not carried: TRL computes 4-bit layers in dtype (${recipe.model.dtype})`,
    );
  }
  return keys;
}
