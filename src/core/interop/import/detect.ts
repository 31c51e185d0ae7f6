/** Which tool a config file was written for, from its keys alone. */
import { TRAINERS } from "../../recipe/schema.js";
import { fieldInfo } from "../../trl/fields.js";
import { isTrlField } from "./args.js";
import { isLlamaFactoryV1 } from "./llamafactory/v1.js";
import { isMapping, type DetectedFormat, type Raw } from "./types.js";

/** The keys of TRL's DatasetConfig (`datasets:` in a TRL CLI config); axolotl's entries have others. */
const TRL_DATASET_KEYS = new Set(["path", "name", "data_dir", "data_files", "split", "columns", "fraction"]);
const LLAMAFACTORY_KEYS = [
  "stage",
  "finetuning_type",
  "pref_beta",
  "pref_loss",
  "pref_ftx",
  "cutoff_len",
  "lora_rank",
  "lora_target",
  "template",
  "val_size",
  "dataset_dir",
];
const AXOLOTL_KEYS = [
  "base_model",
  "rl",
  "rl_beta",
  "orpo_alpha",
  "micro_batch_size",
  "sequence_len",
  "num_epochs",
  "adapter",
  "lora_target_linear",
  "val_set_size",
  "dataset_prepared_path",
  "special_tokens",
];
const HANDBOOK_KEYS = [
  "dataset_mixer",
  "dataset_splits",
  "dataset_configs",
  "preprocessing_num_workers",
  "auto_insert_empty_system_msg",
  "truncation_side",
  "hub_model_revision",
];
const FLAT_KEYS = [
  "model_name_or_path",
  "dataset_name",
  "dataset_config",
  "dataset_train_split",
  "dataset_test_split",
  "use_peft",
  "torch_dtype",
  "dtype",
  "model_revision",
];

export function detectFormat(raw: unknown): DetectedFormat | undefined {
  if (!isMapping(raw)) return undefined;
  const has = (k: string) => k in raw;
  // No other tool has `stages` or a `model:` mapping: a recipe with mistakes is still a recipe,
  // and its mistakes are reported by the recipe parser.
  if (has("stages") || isMapping(raw.model)) return "trellis";
  // Before axolotl, which shares micro_batch_size: v1 has keys of its own, or `model` as a string.
  if (isLlamaFactoryV1(raw, true)) return "llamafactory";
  if (LLAMAFACTORY_KEYS.some(has) && (has("dataset") || has("stage") || has("finetuning_type"))) return "llamafactory";
  if (AXOLOTL_KEYS.some(has) || axolotlDatasets(raw.datasets)) return "axolotl";
  if (HANDBOOK_KEYS.some(has) || isMapping(raw.dataset_mixture) || (has("chat_template") && has("model_name_or_path")))
    return "handbook";
  if (FLAT_KEYS.some(has) || Array.isArray(raw.datasets) || onlyTrlFields(raw)) return "trl";
  return undefined;
}

function axolotlDatasets(list: unknown): boolean {
  return (
    Array.isArray(list) &&
    list.some((item) => isMapping(item) && Object.keys(item).some((k) => !TRL_DATASET_KEYS.has(k)))
  );
}

function onlyTrlFields(raw: Raw): boolean {
  const keys = Object.keys(raw);
  return keys.length > 0 && keys.every((k) => TRAINERS.some((t) => fieldInfo(t, k) !== undefined || isTrlField(t, k)));
}
