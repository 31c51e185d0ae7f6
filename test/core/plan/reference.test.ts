import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Stage } from "../../../src/core/recipe/schema.js";
import { referenceChoice } from "../../../src/core/plan/stage.js";

const stage = (over: Partial<Stage>): Stage => ({ id: "s", trainer: "dpo", args: {}, ...over });

describe("how the planner pays for the reference pass", () => {
  it("LoRA: the policy with its adapter disabled, never precomputed", () => {
    const text = referenceChoice(stage({ peft: { r: 8 } as Stage["peft"] }), { precomputeRef: false });
    assert.match(text!, /adapter disabled/);
  });

  it("full fine-tuning: precomputed once only when the planner chose it, and says why", () => {
    assert.match(referenceChoice(stage({}), { precomputeRef: true })!, /precomputed once.*did not fit/);
    assert.match(referenceChoice(stage({}), { precomputeRef: false })!, /frozen copy, run every step \(it fits/);
    assert.match(
      referenceChoice(stage({ args: { sync_ref_model: true } }), { precomputeRef: false })!,
      /sync_ref_model/,
    );
  });

  it("ORPO and SFT have no reference", () => {
    assert.equal(referenceChoice(stage({ trainer: "orpo" }), { precomputeRef: false }), null);
  });
});
