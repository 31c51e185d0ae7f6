/**
 * The table of what each trainer needs (python/trellis_runtime/trainers.json) as the TypeScript
 * core reads it, and the shared cases python/tests/test_trainers.py runs on the runtime's side.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { columnUseOf } from "../../../src/core/data/rows.js";
import {
  DATA_ERRORS,
  READ_ERRORS,
  SCORE_COLUMNS,
  STANDARD_COLUMNS,
  TRAINERS,
  type Trainer,
} from "../../../src/core/data/trainers.js";
import { missingColumns } from "../../../src/core/recipe/columns.js";
import { ROOT } from "../../helpers/cli.js";

const read = (...parts: string[]) => JSON.parse(readFileSync(path.join(ROOT, ...parts), "utf8"));
const TABLE = read("python", "trellis_runtime", "trainers.json");
const CASES: Array<{ trainer: Trainer; found: string[]; keep?: string[]; missing?: true }> = read(
  "test",
  "fixtures",
  "column-use.json",
).cases;

describe("what each trainer needs: one table, trainers.json", () => {
  it("is what the core reads: the trainers, the columns, the runtime's error types", () => {
    assert.deepEqual(TRAINERS, Object.keys(TABLE.trainers));
    assert.deepEqual(TRAINERS, ["sft", "dpo", "orpo", "kto", "cpo", "simpo"]);
    assert.deepEqual(STANDARD_COLUMNS, TABLE.standard_columns);
    assert.deepEqual(SCORE_COLUMNS, TABLE.score_columns);
    assert.deepEqual(DATA_ERRORS, TABLE.errors);
    assert.deepEqual(READ_ERRORS, TABLE.read_errors);
  });

  for (const c of CASES) {
    it(`${c.trainer} on ${c.found.join(", ")}: ${c.missing ? "does not fit" : c.keep!.join(", ")}`, () => {
      const problem = missingColumns(c.trainer, c.found, {});
      if (c.missing) return assert.notEqual(problem, undefined);
      assert.equal(problem, undefined);
      assert.deepEqual(columnUseOf(c.trainer, c.found).columns, c.keep);
    });
  }

  it("names every column set an sft stage can train on", () => {
    assert.match(
      missingColumns("sft", ["body"], {})!,
      /needs column 'messages', 'prompt' and 'completion', or 'text' \(or preference pairs with 'chosen'\); found: body/,
    );
  });
});
