/**
 * A data file that passed the check is not read again at the next run while it is unchanged,
 * and is checked in full again once it changes: the quickstart recipe and data, copied.
 */
import assert from "node:assert/strict";
import { appendFileSync, cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { loadRecipe } from "../../src/app/load-recipe.js";
import { DataFileError } from "../../src/adapters/data-files.js";
import { RECIPES } from "../helpers/cli.js";
import { tempDir } from "./run-dirs.js";

describe("the data check's cache", { timeout: 60_000 }, () => {
  let dir: string;
  let recipe: string;
  const saved = process.env.TRELLIS_CACHE_DIR;
  const entries = () => path.join(dir, "cache", "data-checks");

  before(async () => {
    dir = tempDir("check-cache");
    process.env.TRELLIS_CACHE_DIR = path.join(dir, "cache");
    recipe = path.join(dir, "quickstart-orpo.yaml");
    cpSync(path.join(RECIPES, "quickstart-orpo.yaml"), recipe);
    for (const f of ["colors-train.jsonl", "colors-eval.jsonl"])
      cpSync(path.join(RECIPES, "data", f), path.join(dir, "data", f));
    await sleep(2100); // files younger than the cache's racy window (2 s) are not kept
  });
  after(() => {
    if (saved === undefined) delete process.env.TRELLIS_CACHE_DIR;
    else process.env.TRELLIS_CACHE_DIR = saved;
  });

  it("keeps each file's pass, and answers from it while the file is unchanged", async () => {
    const first = await loadRecipe(recipe, path.join(dir, "output"));
    assert.deepEqual(
      first.data.map((r) => [path.basename(r.file), r.rows, r.shape]),
      [
        ["colors-train.jsonl", 320, "text"],
        ["colors-eval.jsonl", 80, "text"],
      ],
    );
    const names = readdirSync(entries());
    assert.equal(names.length, 2);
    // An answer that only the cache could give shows that the file was not read.
    for (const name of names) {
      const entry = JSON.parse(readFileSync(path.join(entries(), name), "utf8"));
      entry.value.rows += 1000;
      writeFileSync(path.join(entries(), name), JSON.stringify(entry));
    }
    const second = await loadRecipe(recipe, path.join(dir, "output"));
    assert.deepEqual(
      second.data.map((r) => r.rows),
      [1320, 1080],
    );
    assert.deepEqual(
      second.data.map((r) => r.file),
      first.data.map((r) => r.file),
    );
  });

  it("checks a file in full again once it changes, and keeps no failure", async () => {
    const kept = () => readdirSync(entries()).map((n) => readFileSync(path.join(entries(), n), "utf8"));
    const before = kept();
    const train = path.join(dir, "data", "colors-train.jsonl");
    appendFileSync(train, '{"prompt": "Q", "chosen": "a"}\n');
    await assert.rejects(loadRecipe(recipe, path.join(dir, "output")), (err: Error) => {
      assert.ok(err instanceof DataFileError);
      assert.match(err.message, /colors-train\.jsonl:321/);
      return true;
    });
    await assert.rejects(loadRecipe(recipe, path.join(dir, "output")), DataFileError);
    assert.deepEqual(kept(), before, "the failure was not stored");
  });
});
