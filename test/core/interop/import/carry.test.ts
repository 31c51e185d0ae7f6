/**
 * What an import carries itself so that `trellis check` accepts it: extras for trackers and 8-bit
 * optimizers, sdpa for flash attention that cannot be installed (kept where it can), overrides that
 * replace a data source whole, and LLaMA-Factory's sharegpt/alpaca datasets as data.convert.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { importConfig, mergeOverride, type ImportResult } from "../../../../src/core/interop/import/index.js";
import type { PackageUniverse } from "../../../../src/core/env/extras.js";
import { parseRecipe } from "../../../../src/core/recipe/parse.js";
import { checkPackages } from "../../../../src/core/recipe/packages.js";
import { parseVersion } from "../../../../src/core/trl/version.js";

const extra = (name: string, packages: string[], installable = true) => ({
  name,
  requires: packages,
  about: "",
  packages,
  ...(installable ? { lockText: `${packages[0]}==1.0\n` } : { unavailable: "no wheels" }),
});
const UNIVERSE: PackageUniverse = {
  base: ["torch", "transformers", "trl"],
  extras: [
    extra("wandb", ["wandb"]),
    extra("tensorboard", ["tensorboard"]),
    extra("bitsandbytes", ["bitsandbytes"]),
    extra("flash-attn", ["flash-attn"], false),
  ],
};
const validate = (r: ImportResult) =>
  parseRecipe(stringify(r.recipe), "imported.yaml", { trl: parseVersion("1.13.0")! }).recipe;
const row = (r: ImportResult, key: string) => r.report.find((x) => x.key === key)!;

describe("extras and attention carried by the importer", () => {
  const raw = {
    model_name_or_path: "org/m",
    dataset_name: "org/pairs",
    beta: 0.1,
    report_to: ["tensorboard", "wandb"],
    optim: "paged_adamw_8bit",
    attn_implementation: "flash_attention_2",
  };
  it("trackers and optimizers bring their extras, flash attention becomes sdpa, each in its row", () => {
    const r = importConfig(raw, "trl", { file: "dpo.yaml", packages: UNIVERSE });
    assert.deepEqual(r.recipe.extras, ["bitsandbytes", "tensorboard", "wandb"]);
    assert.match(row(r, "report_to").note, /'tensorboard' needs the tensorboard extra \(added to extras\).*'wandb'/);
    assert.match(row(r, "optim").note, /'paged_adamw_8bit' needs the bitsandbytes extra \(added to extras\)/);
    assert.equal((r.recipe.model as { attn_implementation: string }).attn_implementation, "sdpa");
    assert.equal(row(r, "attn_implementation").status, "migrated");
    assert.match(row(r, "attn_implementation").note, /flash-attn, which this environment lacks.*sdpa instead/);
    assert.deepEqual(checkPackages(validate(r), UNIVERSE), []);
  });
  it("flash attention is kept where flash-attn is installed", () => {
    const r = importConfig(raw, "trl", {
      file: "dpo.yaml",
      packages: { ...UNIVERSE, base: [...UNIVERSE.base, "flash-attn"] },
    });
    assert.equal((r.recipe.model as { attn_implementation: string }).attn_implementation, "flash_attention_2");
    assert.equal(row(r, "attn_implementation").status, "mapped");
  });
  it("without the package universe (pure import) nothing is added", () => {
    const r = importConfig(raw, "trl", { file: "dpo.yaml" });
    assert.equal(r.recipe.extras, undefined);
  });
});

describe("an override replaces a data source whole", () => {
  it("data.eval {fraction} over an imported {hub, split}; stage data too; other keys still merge", () => {
    const base = {
      data: {
        train: { hub: "org/p", split: "train_prefs" },
        eval: { hub: "org/p", split: "test_prefs" },
        columns: { prompt: "q" },
      },
      stages: [{ id: "dpo", data: { train: { hub: "a/b", split: "x" } }, args: { beta: 0.1 } }],
    };
    const merged = mergeOverride(base, {
      data: { eval: { fraction: 0.1 }, columns: { chosen: "good" } },
      stages: [{ data: { train: { path: "local.jsonl" } }, args: { max_steps: 2 } }],
    });
    assert.deepEqual(merged.data, {
      train: { hub: "org/p", split: "train_prefs" },
      eval: { fraction: 0.1 },
      columns: { prompt: "q", chosen: "good" },
    });
    assert.deepEqual(merged.stages, [
      { id: "dpo", data: { train: { path: "local.jsonl" } }, args: { beta: 0.1, max_steps: 2 } },
    ]);
  });
});

describe("LLaMA-Factory datasets become data.convert", () => {
  const lf = (info: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    importConfig({ model_name_or_path: "m/x", stage: "dpo", dataset: "d", ...extra }, "llamafactory", {
      file: "x.yaml",
      datasetInfo: { d: info },
    });
  it("sharegpt pairs, with their tags", () => {
    const r = lf({
      file_name: "d.json",
      ranking: true,
      formatting: "sharegpt",
      columns: { messages: "conversations", chosen: "chosen", rejected: "rejected", system: "sys" },
      tags: { role_tag: "role", content_tag: "content" },
    });
    assert.deepEqual((r.recipe.data as Record<string, unknown>).convert, {
      from: "sharegpt",
      columns: { messages: "conversations", chosen: "chosen", rejected: "rejected", system: "sys" },
      tags: { role_tag: "role", content_tag: "content" },
    });
    assert.match(row(r, "dataset").note, /sharegpt layout .* converted to \{role, content\} messages/);
    validate(r);
  });
  it("alpaca pairs (ranking), LLaMA-Factory's default column names filled in", () => {
    const r = lf({ file_name: "d.json", ranking: true });
    assert.deepEqual((r.recipe.data as Record<string, unknown>).convert, {
      from: "alpaca",
      columns: { prompt: "instruction", query: "input", chosen: "chosen", rejected: "rejected" },
    });
    validate(r);
  });
  it("KTO and tool datasets are refused with the reason", () => {
    assert.match(
      row(lf({ file_name: "d.json", formatting: "sharegpt", columns: { kto_tag: "label" } }), "dataset").note,
      /KTO/,
    );
    assert.match(
      row(lf({ file_name: "d.json", formatting: "sharegpt", columns: { tools: "tools" } }), "dataset").note,
      /tools column/,
    );
  });
});
