import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gpuOnlyNotes } from "../../../src/core/recipe/gpu-only.js";

describe("check says which settings need a GPU", () => {
  const stages = [
    { id: "dpo", trainer: "dpo" as const, args: { use_liger_kernel: true } },
    { id: "sft", trainer: "sft" as const, args: {} },
  ];

  it("Liger's fused losses on a machine without one: one line naming the stage and the fix", () => {
    const notes = gpuOnlyNotes(stages, false);
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, /^stage dpo: use_liger_kernel: true .*needs a CUDA GPU.*run it on a GPU machine/);
  });

  it("nothing on a machine with a GPU", () => {
    assert.deepEqual(gpuOnlyNotes(stages, true), []);
  });
});
