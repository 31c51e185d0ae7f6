/** The supported TRL range, and recipe args judged against the target release's own fields. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RecipeError } from "../../../src/core/recipe/errors.js";
import { parseRecipe } from "../../../src/core/recipe/parse.js";
import { BEYOND_SUPPORTED_TRL, OLDEST_SUPPORTED_TRL, unsupportedTrl } from "../../../src/core/trl/compat.js";
import { FIELD_TABLE_VERSIONS, FIELDS_TRL_VERSION, fieldAt, tableVersionFor } from "../../../src/core/trl/fields.js";
import { parseVersion } from "../../../src/core/trl/version.js";

const v = (s: string) => parseVersion(s)!;

const recipe = (trainer: string, args: string) => `name: demo
model:
  name: Qwen/Qwen2-0.5B
data:
  train: data/pairs.jsonl
stages:
  - id: s
    trainer: ${trainer}
    args:
${args
  .split("\n")
  .map((l) => `      ${l}`)
  .join("\n")}
`;

function problems(text: string, trl: string): string[] {
  try {
    parseRecipe(text, "r.yaml", { trl: v(trl) });
  } catch (err) {
    assert.ok(err instanceof RecipeError, String(err));
    return err.message.split("\n");
  }
  return [];
}

describe("supported TRL range", () => {
  it("takes the oldest supported release, the pin and any 1.x", () => {
    for (const ok of [OLDEST_SUPPORTED_TRL, "0.12", "0.19.1", "0.24.0", FIELDS_TRL_VERSION, "1.16.0"])
      assert.equal(unsupportedTrl(v(ok)), undefined, ok);
  });
  it("refuses older and newer releases, naming the range", () => {
    assert.match(
      unsupportedTrl(v("0.1"))!,
      /^TRL 0\.1\.0 is too old: trellis supports TRL 0\.12\.0 up to \(not including\) 2\.0\.0$/,
    );
    assert.match(unsupportedTrl(v("0.11.4"))!, /too old/);
    assert.match(unsupportedTrl(v("99.0"))!, /^TRL 99\.0\.0 is newer than trellis knows/);
    assert.match(unsupportedTrl(v(BEYOND_SUPPORTED_TRL))!, /newer/);
  });
  it("has a field table for the oldest supported release line and for the pin", () => {
    assert.equal(FIELD_TABLE_VERSIONS[0]!.startsWith(OLDEST_SUPPORTED_TRL.split(".").slice(0, 2).join(".")), true);
    assert.equal(FIELD_TABLE_VERSIONS.at(-1), FIELDS_TRL_VERSION);
    assert.ok(FIELD_TABLE_VERSIONS.length >= 3);
  });
});

describe("args against the target TRL's fields", () => {
  it("picks the table of the target's release line, else the newest one below", () => {
    assert.equal(tableVersionFor(v("0.12.0")), "0.12.2");
    assert.equal(tableVersionFor(v("0.19")), "0.19.1");
    assert.equal(tableVersionFor(v("0.22.1")), "0.19.1");
    assert.equal(tableVersionFor(v("1.13.0")), FIELDS_TRL_VERSION);
  });
  it("refuses a key that arrived after the target (SFT max_length in 0.12, which has max_seq_length)", () => {
    const lines = problems(recipe("sft", "max_length: 64"), "0.12");
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /SFTConfig in TRL 0\.12\.0 has no 'max_length': it arrived in a later TRL \(it is there in 0\.19\.1\); this release calls it 'max_seq_length'/,
    );
    assert.deepEqual(problems(recipe("sft", "max_seq_length: 64"), "0.12"), []);
    assert.match(
      problems(recipe("dpo", "loss_weights: [1.0]"), "0.12")[0]!,
      /DPOConfig in TRL 0\.12\.0 has no 'loss_weights': it arrived in a later TRL/,
    );
  });
  it("refuses a key the target no longer has, both by the curated list and by the tables", () => {
    assert.match(
      problems(recipe("sft", "max_seq_length: 64"), "0.24")[0]!,
      /SFTConfig has no 'max_seq_length' since TRL 0\.21\.0/,
    );
    assert.match(
      problems(recipe("dpo", "max_target_length: 64"), "0.24")[0]!,
      /DPOConfig in TRL 0\.24\.0 has no 'max_target_length': TRL removed it \(last seen in 0\.12\.2\)/,
    );
    assert.match(
      problems(recipe("dpo", "max_target_length: 64"), "0.29")[0]!,
      /in TRL 0\.24\.0 \(the newest field table at or below 0\.29\.0\) has no 'max_target_length'/,
    );
  });
  it("does not guess between tables: a key from a newer table passes for a release in between", () => {
    const at = fieldAt("dpo", "pad_to_multiple_of", v("0.27"));
    assert.equal(at.kind, "later");
    assert.deepEqual(problems(recipe("dpo", "pad_to_multiple_of: 8"), "0.27"), []);
    assert.match(problems(recipe("dpo", "pad_to_multiple_of: 8"), "0.24")[0]!, /arrived in a later TRL/);
  });
  it("checks value kinds with the target's table", () => {
    assert.match(
      problems(recipe("sft", "max_seq_length: many"), "0.12")[0]!,
      /max_seq_length: must be an integer or null/,
    );
  });
  it("still reports unknown keys, with a suggestion from the target's fields", () => {
    assert.match(
      problems(recipe("dpo", "betta: 0.1"), "0.12")[0]!,
      /unknown DPOConfig field in TRL 0\.12\.0; did you mean 'beta'\?/,
    );
  });
});
