/**
 * LLaMA-Factory v1's `train_dataset` / `eval_dataset`, as its DataEngine reads them
 * (src/llamafactory/v1/core/data_engine.py): a `.yaml` dataset file listing datasets
 * (`name: {path, source: hf_hub|local, split, converter, size, weight, streaming}`), else a local
 * data file, else a Hub dataset id. The caller reads the dataset files; this module only maps.
 */
import { shown } from "../../../shown.js";
import { formatOf } from "../../../recipe/resolve.js";
import type { Draft, SourceDraft } from "../draft.js";
import { combine, describe, looksLocal, sourceOf } from "../sources.js";
import { isEmpty, isMapping, isString, show, type Raw } from "../types.js";

export const isDatasetFile = (v: unknown): v is string => isString(v) && /\.ya?ml$/i.test(v);

/**
 * Rows without a converter reach LLaMA-Factory's trainers as they are, so they must already be in
 * its own sample format, which TRL does not read (content is a list of {type, value} blocks).
 */
const OWN_FORMAT =
  "without a converter LLaMA-Factory reads rows in its own format (messages, or chosen_messages/rejected_messages with [{type, value}] content blocks), which TRL does not read; trellis reads TRL's columns (prompt/chosen/rejected, or messages with string content): convert the file if it is in LLaMA-Factory's format";

interface Entry {
  source: SourceDraft;
  columns: Record<string, string>;
  /** What differs from LLaMA-Factory's reading; empty when the data mean the same. */
  notes: string[];
}

/** Whether every dataset of the file is read with the `pair` converter (chosen/rejected). */
export function pairDatasets(file: Raw | undefined): boolean {
  const entries = file ? Object.values(file) : [];
  return entries.length > 0 && entries.every((e) => isMapping(e) && e.converter === "pair");
}

export function importV1Dataset(
  d: Draft,
  key: string,
  value: unknown,
  role: "train" | "eval",
  files?: Record<string, Raw>,
): void {
  const r = d.report;
  if (isEmpty(value)) return r.unset(key);
  if (!isString(value))
    return r.unsupported(key, `must be a dataset file (.yaml), a data file or a Hub dataset id (got ${show(value)})`);
  const evalNote =
    role === "eval"
      ? "; LLaMA-Factory v1 does not evaluate on it yet, trellis does when eval_strategy is set and for the held-out preference accuracy"
      : "";

  if (isDatasetFile(value)) {
    const file = files?.[value];
    if (!file) {
      const hub = !looksLocal(value) && value.split("/").length >= 3;
      return r.unsupported(
        key,
        hub
          ? `${value} is a dataset file on the Hub (repo/file.yaml), which trellis does not download: give data.${role} as the files or Hub dataset it lists`
          : `${value} was not found (next to the working directory or the config): give data.${role} as the files or Hub dataset it lists`,
      );
    }
    const resolved = fromDatasetFile(value, file);
    if (typeof resolved === "string") return r.unsupported(key, resolved);
    d[role] = resolved.source;
    Object.assign(d.columns, resolved.columns);
    const note = `${describe(resolved.source)} from ${value}${resolved.notes.length ? `; ${resolved.notes.join("; ")}` : ""}${evalNote}`;
    const to = `data.${role}.${resolved.source.hub !== undefined ? "hub" : "path"}`;
    return resolved.notes.length ? r.migrated(key, to, note) : r.mapped(key, to, note);
  }
  if (looksLocal(value) && !formatOf(value))
    return r.unsupported(
      key,
      `'${shown(value)}' is a folder or a file of a format trellis does not read: point data.${role} at .jsonl, .json, .csv or .parquet files`,
    );
  const source = sourceOf(value, "train");
  if (typeof source === "string") return r.unsupported(key, source);
  d[role] = source;
  r.mapped(
    key,
    `data.${role}.${source.hub !== undefined ? "hub" : "path"}`,
    `${source.hub !== undefined ? "a Hub dataset, split train" : "a local file (format from its extension)"}; ${OWN_FORMAT}${evalNote}`,
  );
}

/** All datasets of one dataset file as one source, or why they cannot be. */
function fromDatasetFile(name: string, file: Raw): Entry | string {
  const names = Object.keys(file);
  if (!names.length) return `${name} lists no datasets`;
  const entries = names.map((n) => entryOf(n, file[n]));
  const bad = entries.find((e): e is string => typeof e === "string");
  if (bad) return bad;
  const ok = entries as Entry[];
  const { source, rejected } = combine(ok.map((e, i) => ({ key: names[i]!, source: e.source })));
  const why = rejected.find((x): x is string => x !== undefined);
  if (why || !source) return `${name}: ${why ?? "no dataset"}`;
  const columns = JSON.stringify(ok[0]!.columns);
  if (ok.some((e) => JSON.stringify(e.columns) !== columns))
    return `${name} mixes converters: trellis reads one set of columns per data role`;
  return { source, columns: ok[0]!.columns, notes: [...new Set(ok.flatMap((e) => e.notes))] };
}

function entryOf(name: string, e: unknown): Entry | string {
  if (!isMapping(e) || !isString(e.path)) return `dataset '${name}' has no path`;
  const where = e.source ?? "hf_hub";
  const split = isString(e.split) ? e.split : "train";
  let source: SourceDraft;
  if (where === "hf_hub") source = { hub: e.path, split };
  else if (where === "local") {
    // LLaMA-Factory's local loader takes a file or a folder of files; trellis reads files.
    if (!formatOf(e.path))
      return `dataset '${name}': ${e.path} is a folder or a file of a format trellis does not read (.jsonl, .json, .csv, .parquet)`;
    source = { path: e.path };
  } else return `dataset '${name}': source ${show(where)} is not a LLaMA-Factory loader trellis knows (hf_hub, local)`;

  const columns: Record<string, string> = {};
  const notes: string[] = [];
  const converter = e.converter;
  if (converter === "alpaca") {
    // alpaca_converter: user turn = instruction + input, assistant turn = output.
    columns.prompt = "instruction";
    columns.completion = "output";
    notes.push(
      `'${name}' (alpaca): the prompt is the instruction column and the completion the output column; LLaMA-Factory also appends 'input' to the instruction and adds 'system' as a system turn`,
    );
  } else if (converter === "sharegpt") {
    return `dataset '${name}': converter sharegpt reads {from, value} conversations, which trellis does not convert: turn them into messages [{role, content}]`;
  } else if (converter === undefined || converter === null) {
    notes.push(`'${name}': ${OWN_FORMAT}`);
  } else if (converter !== "pair") {
    // pair_converter: chosen/rejected OpenAI message lists, which TRL reads as they are.
    return `dataset '${name}': converter ${show(converter)} is not one trellis knows (pair, alpaca)`;
  }
  if (e.size !== undefined && e.size !== null)
    notes.push(
      `'${name}' size ${show(e.size)}: LLaMA-Factory draws that many rows (with replacement); trellis uses every row once`,
    );
  if (e.weight !== undefined && e.weight !== null)
    notes.push(
      `'${name}' weight ${show(e.weight)}: LLaMA-Factory resamples the rows by it; trellis uses every row once`,
    );
  if (e.streaming === true) notes.push(`'${name}' streaming: trellis loads datasets in full`);
  return { source, columns, notes };
}
