/**
 * Data keys of flat TRL CLI / alignment-handbook configs: dataset_name and its splits, TRL's
 * `datasets` mixture, the handbook's dataset_mixture and its older dataset_mixer.
 */
import type { Draft, SourceDraft } from "./draft.js";
import { keyPath } from "./report.js";
import { BUILDERS, combine, describe, localSource, sourceOf, to, weightedSplit, type MixtureEntry } from "./sources.js";
import { isEmpty, isMapping, isString, show, type Raw } from "./types.js";

/** Keys this module reports; the flat importer hands them all here at once. */
export const DATA_KEYS = new Set([
  "dataset_name",
  "dataset_config",
  "dataset_train_split",
  "dataset_test_split",
  "dataset_streaming",
  "datasets",
  "streaming",
  "test_split_size",
  "dataset_mixture",
  "dataset_mixer",
  "dataset_splits",
  "dataset_configs",
]);

const TRL_MIXTURE_KEYS = ["datasets", "test_split_size", "streaming"];
const MIXER_KEYS = ["dataset_mixer", "dataset_splits", "dataset_configs"];

export function importFlatData(d: Draft, raw: Raw): void {
  const r = d.report;
  // One form of dataset list wins, as in the tools: a second one is reported, never merged.
  const forms = [
    isMapping(raw.dataset_mixture) ? "dataset_mixture" : undefined,
    Array.isArray(raw.datasets) && raw.datasets.length ? "datasets" : undefined,
    isMapping(raw.dataset_mixer) ? "dataset_mixer" : undefined,
  ].filter((f): f is string => f !== undefined);
  const used = forms[0];
  const unused = (keys: string[], why: string) => {
    for (const k of keys) {
      if (!(k in raw)) continue;
      const v = raw[k];
      if (isEmpty(v) || v === false || (Array.isArray(v) && !v.length)) r.unset(k);
      else r.unsupported(k, used && used !== k ? `${used} is also given and is used` : `${why} (got ${show(v)})`);
    }
  };
  if (used === "dataset_mixture") importMixture(d, raw.dataset_mixture as Raw, "dataset_mixture", "handbook");
  else unused(["dataset_mixture"], "must be a mapping with datasets: [...]");
  if (used === "datasets")
    importMixture(d, Object.fromEntries(TRL_MIXTURE_KEYS.filter((k) => k in raw).map((k) => [k, raw[k]])), "", "trl");
  else unused(TRL_MIXTURE_KEYS, "expected TRL's dataset mixture: datasets: [{path, split, ...}]");
  if (used === "dataset_mixer") importMixer(d, raw);
  else unused(MIXER_KEYS, "expected the handbook's dataset_mixer: {dataset id: fraction}");
  importDatasetName(d, raw, used !== undefined);
}

/** Whether TRL's scripts evaluate: they take the test split only when eval_strategy is not "no". */
function wantsEval(raw: Raw): boolean {
  return (
    (typeof raw.eval_strategy === "string" && raw.eval_strategy !== "no") ||
    (typeof raw.evaluation_strategy === "string" && raw.evaluation_strategy !== "no") ||
    raw.do_eval === true
  );
}

function importDatasetName(d: Draft, raw: Raw, superseded: boolean): void {
  const r = d.report;
  const name = raw.dataset_name;
  const related = ["dataset_config", "dataset_train_split", "dataset_test_split", "dataset_streaming"].filter(
    (k) => k in raw,
  );
  const train =
    isString(name) && !superseded
      ? sourceOf(
          name,
          isString(raw.dataset_train_split) ? raw.dataset_train_split : undefined,
          isString(raw.dataset_config) ? raw.dataset_config : undefined,
        )
      : undefined;
  if (!isString(name) || typeof train !== "object") {
    if (isEmpty(name)) {
      if (name !== undefined) r.unset("dataset_name");
    } else
      r.unsupported(
        "dataset_name",
        superseded
          ? "a dataset mixture is also given and is used instead (as TRL does)"
          : typeof train === "string"
            ? train
            : `must be a string (got ${show(name)})`,
      );
    for (const k of related) r.unset(k, "only used with dataset_name");
    return;
  }
  const config = train.config;
  const trainSplit = isString(raw.dataset_train_split) ? raw.dataset_train_split : undefined;
  d.train = train;
  r.mapped(
    "dataset_name",
    to("train", train, "ref"),
    train.hub !== undefined ? "a Hub dataset" : "a local file (relative paths resolve against the recipe's folder)",
  );
  const hub = train.hub !== undefined;
  const evalSplit = isString(raw.dataset_test_split) ? raw.dataset_test_split : "test";
  const evalWanted = "dataset_test_split" in raw || wantsEval(raw);
  if (hub && evalWanted) {
    d.eval = { hub: name, split: evalSplit, ...(config ? { config } : {}) };
    if (!("dataset_test_split" in raw))
      r.note(
        `data.eval: split '${evalSplit}' of ${name} (TRL's default dataset_test_split, used because the config evaluates)`,
      );
  }
  if ("dataset_config" in raw)
    config
      ? r.mapped("dataset_config", `data.train.config${d.eval ? " and data.eval.config" : ""}`)
      : r.unset("dataset_config");
  if ("dataset_train_split" in raw)
    hub && trainSplit
      ? r.mapped("dataset_train_split", "data.train.split")
      : r.unsupported(
          "dataset_train_split",
          hub
            ? `must be a string (got ${show(raw.dataset_train_split)})`
            : "a local file has no splits: all of its rows train",
        );
  if ("dataset_test_split" in raw) {
    if (!hub)
      r.unsupported("dataset_test_split", "a local file has no splits: give data.eval as files or {fraction: ...}");
    else if (!isString(raw.dataset_test_split))
      r.unsupported("dataset_test_split", `must be a string (got ${show(raw.dataset_test_split)})`);
    else
      r.mapped(
        "dataset_test_split",
        "data.eval.split",
        wantsEval(raw)
          ? ""
          : "TRL evaluates on it only when eval_strategy is not 'no'; trellis also uses it for the held-out preference accuracy",
      );
  }
  if ("dataset_streaming" in raw)
    raw.dataset_streaming === true
      ? r.unsupported("dataset_streaming", "trellis loads datasets in full (no streaming)")
      : r.unset("dataset_streaming");
}

type Flavor = "handbook" | "trl";

/** handbook `dataset_mixture: {datasets: [{id, config, split, columns, weight}], seed, test_split_size}`; TRL's top-level `datasets: [{path, name, data_files, split, columns, fraction}]`. */
function importMixture(d: Draft, mixture: Raw, prefix: string, flavor: Flavor): void {
  const r = d.report;
  const list = mixture.datasets;
  const at = (k: string) => keyPath(prefix, k);
  if (!Array.isArray(list) || !list.length) {
    r.unsupported(at("datasets"), `must be a list of datasets (got ${show(list)})`);
  } else {
    const entries: MixtureEntry[] = list.map((item, i) => ({
      key: keyPath(at("datasets"), i),
      source: mixtureSource(item, flavor),
    }));
    const { source, rejected } = combine(entries);
    if (source) d.train = source;
    entries.forEach((e, i) => {
      const reason = rejected[i];
      if (reason !== undefined) return r.unsupported(e.key, reason);
      reportEntry(d, e.key, list[i] as Raw, flavor, i, list.length);
    });
  }
  for (const [k, v] of Object.entries(mixture)) {
    const key = at(k);
    if (k === "datasets") continue;
    if (k === "test_split_size") testSplit(d, key, v, flavor);
    else if (k === "seed" && flavor === "handbook") continue;
    else if (k === "streaming")
      v === true ? r.unsupported(key, "trellis loads datasets in full (no streaming)") : r.unset(key);
    else r.unsupported(key, "not a dataset mixture setting trellis knows");
  }
  if (flavor === "handbook" && "seed" in mixture) {
    const seed = mixture.seed;
    if (d.eval?.fraction !== undefined && Number.isInteger(seed) && (seed as number) >= 0) {
      d.eval.seed = seed as number;
      r.mapped(
        at("seed"),
        "data.eval.seed",
        "the held-out split's seed (the handbook also shuffles the mixture with it)",
      );
    } else r.unset(at("seed"), "the handbook's shuffling seed; trellis shuffles with the recipe's seed");
  }
}

function mixtureSource(item: unknown, flavor: Flavor): SourceDraft | string {
  if (!isMapping(item)) return `must be a mapping (got ${show(item)})`;
  const ref = flavor === "handbook" ? item.id : item.path;
  const config = flavor === "handbook" ? item.config : item.name;
  const split = isString(item.split) ? item.split : "train";
  if (!isString(ref)) return `needs ${flavor === "handbook" ? "id" : "path"}: a Hub dataset or a local file`;
  if (flavor === "trl" && BUILDERS.has(ref)) {
    const files = item.data_files;
    if (isString(files) || (Array.isArray(files) && files.length && files.every(isString)))
      return localSource(files, ref as "json" | "csv" | "parquet");
    return `a '${ref}' dataset needs data_files as a path or a list of paths`;
  }
  if (item.data_files !== undefined || item.data_dir !== undefined)
    return "trellis loads Hub datasets by split, not by data_files/data_dir: download the files and list them as local paths";
  const source = sourceOf(ref, split, isString(config) ? config : undefined);
  if (typeof source === "string") return source;
  const weight = flavor === "handbook" ? item.weight : undefined;
  if (weight !== undefined && source.hub === undefined && weight !== 1)
    return "a weight below 1 applies to Hub splits only";
  if (source.hub === undefined) return source;
  const w = weightedSplit(split, weight);
  return typeof w === "string" ? w : { ...source, split: w.split };
}

function reportEntry(d: Draft, key: string, item: Raw, flavor: Flavor, index: number, count: number): void {
  const r = d.report;
  const src = d.train!;
  const joined = index > 0 ? ` (joined with the entries above: ${describe(src)})` : "";
  for (const [k, v] of Object.entries(item)) {
    const at = keyPath(key, k);
    if (k === (flavor === "handbook" ? "id" : "path"))
      r.mapped(at, to("train", src, "ref"), `${src.hub !== undefined ? "a Hub dataset" : "local files"}${joined}`);
    else if (k === (flavor === "handbook" ? "config" : "name"))
      isEmpty(v) ? r.unset(at) : r.mapped(at, "data.train.config");
    else if (k === "split") r.mapped(at, "data.train.split", src.hub !== undefined ? `as part of '${src.split}'` : "");
    else if (k === "data_files") r.mapped(at, "data.train.path");
    else if (k === "columns")
      r.mapped(
        at,
        undefined,
        `trellis loads every column and the trainer reads ${show(v)} by name; a source that also has a 'prompt' column gives TRL an explicit prompt`,
      );
    else if (k === "weight") {
      if (v === 1 || isEmpty(v)) r.unset(at, "1.0: the whole split");
      else
        r.migrated(
          at,
          "data.train.split",
          `the first ${Math.round((v as number) * 100)}% of the split (the handbook takes a shuffled subset of the same size)`,
        );
    } else if (k === "fraction" && flavor === "trl")
      count === 1 || isEmpty(v)
        ? r.unset(at, "one dataset: its share is all of it")
        : r.unsupported(at, "TRL caps the mixture by target shares; trellis uses every listed dataset in full");
    else r.unsupported(at, "not a dataset setting trellis knows");
  }
}

function testSplit(d: Draft, key: string, v: unknown, flavor: Flavor): void {
  const r = d.report;
  if (isEmpty(v)) return r.unset(key, "no held-out split");
  if (typeof v === "number" && v > 0 && v < 1) {
    d.eval = { fraction: v };
    return r.mapped(
      key,
      "data.eval.fraction",
      flavor === "trl" ? "TRL splits without a seed; trellis uses the recipe's seed" : "",
    );
  }
  if (typeof v === "number" && Number.isInteger(v) && v >= 1) {
    return r.unsupported(
      key,
      `${v} rows: trellis holds out a fraction of the training data (data.eval: {fraction: ...}), not a row count; with N rows in the mixture use ${v}/N`,
    );
  }
  r.unsupported(key, `must be a fraction between 0 and 1 or a row count (got ${show(v)})`);
}

/** Old handbook: `dataset_mixer: {id: fraction}`, `dataset_splits: [train_x, test_x]`, `dataset_configs`. */
function importMixer(d: Draft, raw: Raw): void {
  const r = d.report;
  const mixer = raw.dataset_mixer as Raw;
  const splits =
    Array.isArray(raw.dataset_splits) && raw.dataset_splits.every(isString) ? raw.dataset_splits : ["train", "test"];
  const configs = Array.isArray(raw.dataset_configs) ? raw.dataset_configs : [];
  const trainSplits = splits.filter((s) => s.includes("train"));
  const testSplits = splits.filter((s) => !s.includes("train") && s.includes("test"));
  const ids = Object.keys(mixer);
  const entries: MixtureEntry[] = ids.map((id, i) => {
    const config = isString(configs[i]) ? configs[i] : undefined;
    const source = sourceOf(id, trainSplits[0], config);
    if (typeof source === "string") return { key: keyPath("dataset_mixer", id), source };
    if (source.hub === undefined)
      return {
        key: keyPath("dataset_mixer", id),
        source: "a local dataset folder (load_from_disk): trellis reads .jsonl, .json, .csv and .parquet files",
      };
    if (!trainSplits.length)
      return { key: keyPath("dataset_mixer", id), source: `dataset_splits ${show(splits)} names no train split` };
    const parts = trainSplits.map((s) => weightedSplit(s, mixer[id]));
    const bad = parts.find((p): p is string => typeof p === "string");
    return {
      key: keyPath("dataset_mixer", id),
      source: bad ?? { ...source, split: parts.map((p) => (p as { split: string }).split).join("+") },
    };
  });
  const { source, rejected } = combine(entries);
  if (source) {
    d.train = source;
    if (testSplits.length)
      d.eval = { hub: source.hub!, split: testSplits.join("+"), ...(source.config ? { config: source.config } : {}) };
  }
  entries.forEach((e, i) => {
    const reason = rejected[i];
    if (reason !== undefined) return r.unsupported(e.key, reason);
    const frac = mixer[ids[i]!];
    r.mapped(
      e.key,
      "data.train.hub",
      frac === 1
        ? "all of each train split"
        : `weight ${show(frac)}: the first ${Math.round((frac as number) * 100)}% of each train split, as the handbook takes it`,
    );
  });
  if ("dataset_splits" in raw) {
    const ok = Array.isArray(raw.dataset_splits) && raw.dataset_splits.every(isString);
    ok
      ? r.mapped(
          "dataset_splits",
          `data.train.split${d.eval ? " and data.eval.split" : ""}`,
          `train: ${trainSplits.join("+") || "none"}; eval: ${testSplits.join("+") || "none"}`,
        )
      : r.unsupported("dataset_splits", `must be a list of split names (got ${show(raw.dataset_splits)})`);
  }
  if ("dataset_configs" in raw)
    isEmpty(raw.dataset_configs) ? r.unset("dataset_configs") : r.mapped("dataset_configs", "data.train.config");
}
