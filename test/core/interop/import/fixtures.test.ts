/**
 * Every config in shared/fixtures/recipes-in-the-wild imports: each of its keys has exactly one
 * report row, and the recipe passes trellis's own validation for TRL 1.13.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { detectFormat, importConfig, type ImportResult, type Raw } from "../../../../src/core/interop/import/index.js";
import { parseRecipe } from "../../../../src/core/recipe/parse.js";
import type { Recipe } from "../../../../src/core/recipe/schema.js";
import { parseVersion } from "../../../../src/core/trl/version.js";
import { sourcePaths, uncovered } from "../../../helpers/report-keys.js";
import { HAS_WILD, needsWild, WILD } from "../../../helpers/wild.js";

const TRL_1_13 = { trl: parseVersion("1.13.0")! };

function fixture(rel: string): { file: string; text: string; raw: Raw } {
  const file = path.join(WILD, rel);
  const text = readFileSync(file, "utf8");
  return { file, text, raw: parse(text) as Raw };
}

function validate(result: ImportResult): Recipe {
  return parseRecipe(stringify(result.recipe), "imported.yaml", TRL_1_13).recipe;
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

const ALL = (HAS_WILD ? readdirSync(WILD, { withFileTypes: true }) : [])
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(path.join(WILD, d.name)).map((f) => `${d.name}/${f}`))
  .sort();

describe("configs in the wild import", needsWild, () => {
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
        assert.deepEqual(
          keys.filter((k, i) => keys.indexOf(k) !== i),
          [],
          "duplicate rows",
        );
        const real = new Set(sourcePaths(raw));
        assert.deepEqual(
          keys.filter((k) => !real.has(k)),
          [],
          "rows for keys the source does not have",
        );
        for (const row of result!.report) {
          assert.ok(["mapped", "migrated", "unsupported"].includes(row.status));
          if (row.status === "unsupported") assert.ok(row.note.length > 10, `${row.key}: an unsupported key says why`);
          if (row.status === "migrated")
            assert.ok(row.note.length > 10, `${row.key}: a migrated key says what happened`);
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
