/** axolotl's `datasets`, `test_datasets`, `val_set_size` and dataset-preparation keys. */
import type { Draft, SourceDraft } from "./draft.js";
import { keyPath } from "./report.js";
import { BUILDERS, combine, describe, localSource, sourceOf, to, type MixtureEntry } from "./sources.js";
import { isEmpty, isMapping, isString, show, type Raw } from "./types.js";

export const AXOLOTL_DATA_KEYS = new Set([
  "datasets",
  "test_datasets",
  "val_set_size",
  "dataset_prepared_path",
  "push_dataset_to_hub",
  "shuffle_merged_datasets",
  "dataset_exact_deduplication",
  "dataset_shard_num",
  "dataset_shard_idx",
  "skip_prepare_dataset",
]);

const PREPARED =
  "trellis prepares data through the datasets cache ($HF_HOME); there is no separate prepared-dataset folder";

export function importAxolotlData(d: Draft, raw: Raw): void {
  const r = d.report;
  importList(d, raw, "datasets", "train");
  const hasTest = Array.isArray(raw.test_datasets) && raw.test_datasets.length > 0;
  if (hasTest) importList(d, raw, "test_datasets", "eval");
  else if ("test_datasets" in raw) r.unset("test_datasets");
  if ("val_set_size" in raw) {
    const v = raw.val_set_size;
    if (isEmpty(v) || v === 0) r.unset("val_set_size", "0: no held-out split");
    else if (hasTest) r.unsupported("val_set_size", "test_datasets is also given and is the eval data");
    else if (typeof v === "number" && v > 0 && v < 1) {
      d.eval = { fraction: v };
      r.mapped("val_set_size", "data.eval.fraction", "held out from the training data with the recipe's seed");
    } else r.unsupported("val_set_size", `trellis holds out a fraction between 0 and 1 (got ${show(v)})`);
  }
  for (const k of [
    "dataset_prepared_path",
    "push_dataset_to_hub",
    "dataset_shard_num",
    "dataset_shard_idx",
    "skip_prepare_dataset",
  ]) {
    if (k in raw)
      isEmpty(raw[k]) || raw[k] === false
        ? r.unset(k)
        : r.unsupported(
            k,
            k === "dataset_prepared_path" ? PREPARED : "axolotl's dataset preparation has no trellis equivalent",
          );
  }
  for (const k of ["shuffle_merged_datasets", "dataset_exact_deduplication"]) {
    if (k in raw)
      raw[k] === true && k === "dataset_exact_deduplication"
        ? r.unsupported(k, "trellis does not deduplicate rows")
        : r.unset(
            k,
            k === "shuffle_merged_datasets"
              ? "the trainer shuffles the training data (with the recipe's seed)"
              : "not set",
          );
  }
}

function importList(d: Draft, raw: Raw, key: string, role: "train" | "eval"): void {
  const r = d.report;
  const list = raw[key];
  if (!Array.isArray(list) || !list.length) return r.unsupported(key, `must be a list of datasets (got ${show(list)})`);
  const entries: MixtureEntry[] = list.map((item, i) => ({ key: keyPath(key, i), source: entrySource(item) }));
  const { source, rejected } = combine(entries);
  if (source) d[role] = source;
  entries.forEach((e, i) => {
    const reason = rejected[i];
    if (reason !== undefined) return r.unsupported(e.key, reason);
    reportEntry(d, e.key, list[i] as Raw, role, source!, i);
  });
}

function entrySource(item: unknown): SourceDraft | string {
  if (!isMapping(item)) return `must be a mapping with path (got ${show(item)})`;
  const { path, ds_type: dsType, data_files: files } = item;
  const listOfPaths = (v: unknown) => isString(v) || (Array.isArray(v) && v.length > 0 && v.every(isString));
  if (isString(dsType) && BUILDERS.has(dsType)) {
    const paths = files !== undefined ? files : path;
    if (!listOfPaths(paths)) return `ds_type ${dsType} needs data_files or path as file paths`;
    return localSource(paths as string | string[], dsType as "json" | "csv" | "parquet");
  }
  if (!isString(path)) return "needs path: a Hub dataset or a local file";
  if (files !== undefined)
    return "trellis loads Hub datasets by split, not by data_files: download the files and list them as local paths";
  return sourceOf(path, isString(item.split) ? item.split : "train", isString(item.name) ? item.name : undefined);
}

/** The standard column an axolotl `field_*` key names. */
function columnFor(field: string, trainer: string): string | undefined {
  if (field === "field_messages") return trainer === "sft" ? "messages" : "prompt";
  return {
    field_chosen: "chosen",
    field_rejected: "rejected",
    field_prompt: "prompt",
    field_instruction: "prompt",
    field_output: "completion",
  }[field];
}

function reportEntry(d: Draft, key: string, item: Raw, role: "train" | "eval", src: SourceDraft, index: number): void {
  const r = d.report;
  const chatTemplateType = isString(item.type) && item.type.startsWith("chat_template");
  for (const [k, v] of Object.entries(item)) {
    const at = keyPath(key, k);
    if (k === "path")
      r.mapped(
        at,
        to(role, src, "ref"),
        index > 0
          ? `joined with the entries above: ${describe(src)}`
          : src.hub !== undefined
            ? "a Hub dataset"
            : "a local file (relative paths resolve against the recipe's folder)",
      );
    else if (k === "split")
      src.hub !== undefined ? r.mapped(at, `data.${role}.split`) : r.unset(at, "a local file has no splits");
    else if (k === "name") isEmpty(v) ? r.unset(at) : r.mapped(at, `data.${role}.config`);
    else if (k === "ds_type")
      src.format !== undefined
        ? r.mapped(at, `data.${role}.format`)
        : r.unset(at, "the files' extension tells the format");
    else if (k === "data_files") r.mapped(at, `data.${role}.path`);
    else if (k === "type") {
      r.unsupported(
        at,
        `axolotl's prompt strategy ${show(v)} reformats rows; trellis gives the rows to TRL as they are (${d.trainer === "sft" ? "text, prompt/completion or messages" : "prompt/chosen/rejected as text or message lists"}; TRL applies the chat template): check the columns with \`trellis check\``,
      );
    } else if (k.startsWith("field_") && columnFor(k, d.trainer)) {
      const column = columnFor(k, d.trainer)!;
      const single =
        chatTemplateType && (k === "field_chosen" || k === "field_rejected")
          ? "; axolotl reads one message here, TRL expects text or a list of messages"
          : "";
      if (!isString(v)) r.unsupported(at, `must be a column name (got ${show(v)})`);
      else if (v === column) r.unset(at, `'${v}' is already the standard column name${single}`);
      else if (d.columns[column] !== undefined && d.columns[column] !== v)
        r.unsupported(at, `data.columns.${column} is already '${d.columns[column]}' (from another dataset)`);
      else {
        d.columns[column] = v;
        r.mapped(at, `data.columns.${column}`, single.replace(/^; /, ""));
      }
    } else if (k === "message_property_mappings") {
      isMapping(v) && Object.entries(v).every(([a, b]) => a === b)
        ? r.unset(at, "role/content: the names TRL reads")
        : r.unsupported(at, "TRL reads messages as {role, content}: rename the fields in the data");
    } else if (k === "roles") {
      isMapping(v) && Object.entries(v).every(([a, b]) => Array.isArray(b) && b.length === 1 && b[0] === a)
        ? r.unset(at, "each role keeps its name")
        : r.unsupported(at, "TRL reads the roles as they are in the data: rename them there");
    } else r.unsupported(at, "an axolotl dataset option with no trellis equivalent");
  }
}
