/** compare and --advise with SimPO, CPO (and KTO, once merged) arms. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { advise, plannedPasses } from "../../../src/core/compare/advice.js";
import { parseRecipe } from "../../../src/core/recipe/parse.js";
import { parseVersion } from "../../../src/core/trl/version.js";

const recipe = (trainer: string) =>
  parseRecipe(
    `name: x\nmodel: {tiny: {}}\ndata: {train: a.jsonl}\nstages:\n  - {id: s, trainer: ${trainer}, args: {num_train_epochs: 2}}\n`,
    "r.yaml",
    { trl: parseVersion("1.13")! },
  ).recipe;

describe("compare with reference-free arms", () => {
  it("plans CPO and SimPO at two sequences a pair: no reference forward", () => {
    assert.equal(plannedPasses(recipe("simpo"), 100), 2 * 100 * 2);
    assert.equal(plannedPasses(recipe("cpo"), 100), 2 * 100 * 2);
    assert.ok(plannedPasses(recipe("dpo"), 100)! > plannedPasses(recipe("simpo"), 100)!);
  });

  it("--advise says what SimPO and KTO arms are for, without a vote", () => {
    const a = advise({
      pairs: 10_000,
      start: "unknown",
      arms: [
        { name: "simpo", passes: null, trainers: ["simpo"] },
        { name: "kto", passes: null, trainers: ["kto"] },
      ],
    });
    const simpo = a.signals.find((s) => s.what === "a SimPO arm");
    assert.match(simpo!.why, /no reference model: one model in memory/);
    assert.equal(simpo!.lean, "either");
    assert.match(a.signals.find((s) => s.what === "a KTO arm")!.why, /thumbs up\/down/);
    assert.equal(a.lean, "either");
  });
});
