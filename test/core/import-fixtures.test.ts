/**
 * Every config in shared/fixtures/recipes-in-the-wild imports: each of its keys has exactly one
 * report row, and the recipe passes trellis's own validation for TRL 1.13.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { detectFormat, importConfig, type ImportResult, type Raw, type ReportRow } from "../../src/core/import/index.js";
import { parseRecipe } from "../../src/core/recipe/parse.js";
import type { Recipe } from "../../src/core/recipe/schema.js";
import { parseVersion } from "../../src/core/trl/version.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const WILD = path.resolve(ROOT, "..", "shared", "fixtures", "recipes-in-the-wild");
const TRL_1_13 = { trl: parseVersion("1.13.0")! };

function fixture(rel: string): { file: string; text: string; raw: Raw } {
  const file = path.join(WILD, rel);
  const text = readFileSync(file, "utf8");
  return { file, text, raw: parse(text) as Raw };
}

function validate(result: ImportResult): Recipe {
  return parseRecipe(stringify(result.recipe), "imported.yaml", TRL_1_13).recipe;
}

const isMap = (v: unknown): v is Raw => v !== null && typeof v === "object" && !Array.isArray(v);
const join = (parent: string, key: string | number) => (typeof key === "number" ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key);

/**
 * The source's keys that need a row: a key with a row of its own is covered; a mapping or a
 * list of mappings without one must have rows for all of its keys.
 */
function uncovered(value: unknown, rows: ReportRow[], prefix = ""): string[] {
  const keys = new Set(rows.map((r) => r.key));
  const walk = (v: unknown, at: string): string[] => {
    if (at && keys.has(at)) return [];
    if (isMap(v) && Object.keys(v).length) return Object.entries(v).flatMap(([k, x]) => walk(x, join(at, k)));
    if (at && Array.isArray(v) && v.length && v.every(isMap)) return v.flatMap((x, i) => walk(x, join(at, i)));
    return at ? [at] : [];
  };
  return walk(value, prefix);
}

/** Every row names a real key of the source. */
function sourcePaths(value: unknown, at = ""): string[] {
  const here = at ? [at] : [];
  if (isMap(value)) return [...here, ...Object.entries(value).flatMap(([k, v]) => sourcePaths(v, join(at, k)))];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => sourcePaths(v, join(at, i)))];
  return here;
}

const EXPECTED: Record<string, { format: string; trainer: string }> = {
  "alignment-handbook/recipes_zephyr-141b-A35b_orpo_config_full.yaml": { format: "handbook", trainer: "orpo" },
  "alignment-handbook/recipes_zephyr-7b-beta_dpo_config_full.yaml": { format: "handbook", trainer: "dpo" },
  "alignment-handbook/recipes_zephyr-7b-beta_dpo_config_qlora.yaml": { format: "handbook", trainer: "dpo" },
  "alignment-handbook/recipes_zephyr-7b-beta_sft_config_full.yaml": { format: "handbook", trainer: "sft" },
  "axolotl/examples_llama-3_instruct-dpo-lora-8b.yml": { format: "axolotl", trainer: "dpo" },
  "axolotl/examples_mistral_orpo_mistral-qlora-orpo.yml": { format: "axolotl", trainer: "orpo" },
  "axolotl/examples_qwen2_dpo.yaml": { format: "axolotl", trainer: "dpo" },
  "llama-factory/examples_train_lora_qwen3_lora_dpo.yaml": { format: "llamafactory", trainer: "dpo" },
  "trl/examples_cli_configs_example_config.yaml": { format: "trl", trainer: "sft" },
};

const ALL = readdirSync(WILD, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(path.join(WILD, d.name)).map((f) => `${d.name}/${f}`))
  .sort();

describe("configs in the wild import", () => {
  it("the fixture list is the one this test knows", () => assert.deepEqual(ALL, Object.keys(EXPECTED).sort()));

  for (const rel of ALL) {
    describe(rel, () => {
      const { file, text, raw } = fixture(rel);
      const format = detectFormat(raw);
      const result = format ? importConfig(raw, format, { file, text }) : undefined;

      it("is detected and gets the right trainer", () => {
        assert.equal(format, EXPECTED[rel]?.format);
        assert.equal(result?.trainer, EXPECTED[rel]?.trainer, result?.trainerReason);
      });
      it("reports every key of the source exactly once", () => {
        assert.deepEqual(uncovered(raw, result!.report), []);
        const keys = result!.report.map((r) => r.key);
        assert.deepEqual(keys.filter((k, i) => keys.indexOf(k) !== i), [], "duplicate rows");
        const real = new Set(sourcePaths(raw));
        assert.deepEqual(keys.filter((k) => !real.has(k)), [], "rows for keys the source does not have");
        for (const row of result!.report) {
          assert.ok(["mapped", "migrated", "unsupported"].includes(row.status));
          if (row.status === "unsupported") assert.ok(row.note.length > 10, `${row.key}: an unsupported key says why`);
          if (row.status === "migrated") assert.ok(row.note.length > 10, `${row.key}: a migrated key says what happened`);
        }
      });
      it("gives a recipe that passes trellis's validation for TRL 1.13", () => {
        const recipe = validate(result!);
        assert.equal(recipe.stages.length, 1);
        assert.equal(recipe.stages[0]!.trainer, EXPECTED[rel]!.trainer);
      });
    });
  }
});
