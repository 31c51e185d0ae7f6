import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkChatTemplate,
  checkDiskSpace,
  checkTargetModules,
  diskNeed,
  formatBytes,
  tinyModelFacts,
  type ModelFacts,
} from "../../../src/core/recipe/model-checks.js";
import { Recipe, Stage } from "../../../src/core/recipe/schema.js";

const facts: ModelFacts = {
  where: "/models/m",
  modules: [
    "model.embed_tokens",
    "model.layers.0.self_attn.q_proj",
    "model.layers.0.self_attn.v_proj",
    "model.layers.0.mlp.down_proj",
  ],
  chatTemplate: false,
  weightBytes: 4_000_000,
  parameters: 1_000_000,
};
const recipe = (stages: unknown[], extra: Record<string, unknown> = {}) =>
  Recipe.parse({ name: "r", model: { name: "m" }, data: { train: "d.jsonl" }, stages, ...extra });

describe("LoRA target modules", () => {
  it("a name that matches nothing is an error with the linear modules and a suggestion", () => {
    const stage = Stage.parse({
      id: "dpo",
      trainer: "dpo",
      peft: { target_modules: ["q_proj", "v_prj", "self_attn.q_proj", "lm_head"] },
    });
    assert.deepEqual(checkTargetModules(stage, 0, facts), [
      {
        path: ["stages", 0, "peft", "target_modules", 1],
        message:
          "no module of the model is named 'v_prj'; did you mean 'v_proj'? (linear modules: q_proj, v_proj, down_proj, lm_head)",
      },
    ]);
  });
  it("all-linear, or unknown modules, check nothing", () => {
    assert.deepEqual(checkTargetModules(Stage.parse({ id: "a", trainer: "dpo", peft: {} }), 0, facts), []);
    assert.deepEqual(
      checkTargetModules(Stage.parse({ id: "a", trainer: "dpo", peft: { target_modules: ["x"] } }), 0, {
        ...facts,
        modules: null,
      }),
      [],
    );
  });
  it("the tiny model's modules are known from its spec", () => {
    const tiny = tinyModelFacts({
      architecture: "llama",
      hidden_size: 64,
      num_layers: 2,
      num_heads: 4,
      vocab_size: 320,
      seed: 0,
    });
    assert.ok(tiny.modules!.includes("model.layers.1.mlp.gate_proj"));
    assert.equal(tiny.parameters, 2 * (4 * 64 * 64 + 3 * 64 * 128 + 128) + 320 * 64 + 64);
  });
});

describe("chat template", () => {
  it("chat data with a tokenizer without a template names model.chat_template", () => {
    const [finding] = checkChatTemplate(recipe([{ id: "a", trainer: "dpo" }]), ["d.jsonl"], facts);
    assert.deepEqual(finding!.path, ["model"]);
    assert.match(
      finding!.message,
      /d\.jsonl holds chat messages, but the tokenizer in \/models\/m has no chat template: set model.chat_template/,
    );
  });
  it("no finding with a template of the recipe's own, or for plain data", () => {
    assert.deepEqual(
      checkChatTemplate(
        recipe([{ id: "a", trainer: "dpo" }], { model: { name: "m", chat_template: "{{ x }}" } }),
        ["d.jsonl"],
        facts,
      ),
      [],
    );
    assert.deepEqual(checkChatTemplate(recipe([{ id: "a", trainer: "dpo" }]), [], facts), []);
  });
});

describe("disk space", () => {
  it("counts each stage's model and the checkpoints it keeps (weights + AdamW state)", () => {
    const need = diskNeed(
      recipe(
        [
          { id: "sft", trainer: "sft" },
          { id: "dpo", trainer: "dpo", from: "sft", args: { save_strategy: "no" }, peft: {} },
        ],
        { checkpoint_every_minutes: 0 },
      ),
      facts,
    )!;
    // sft: 4 MB model + 2 checkpoints x (4 MB + 8 MB); dpo: an adapter of 2%, no checkpoints.
    assert.equal(need.bytes, 4e6 + 2 * 12e6 + 0.08e6);
    assert.deepEqual(need.parts, ["sft: model 4.0 MB + 2 checkpoints of 12.0 MB", "dpo: adapter 80.0 KB"]);
  });
  it("too little room is an error with the numbers", () => {
    const need = diskNeed(recipe([{ id: "sft", trainer: "sft" }]), facts)!;
    assert.deepEqual(checkDiskSpace(need, need.bytes, "/x"), []);
    assert.match(
      checkDiskSpace(need, 1_000_000, "/x")[0]!.message,
      /about 28\.0 MB \(sft: model 4\.0 MB \+ 2 checkpoints of 12\.0 MB\) under \/x, which has 1\.0 MB free/,
    );
  });
  it("formats sizes", () =>
    assert.deepEqual([formatBytes(512), formatBytes(57_500), formatBytes(2.9e9)], ["512 B", "57.5 KB", "2.9 GB"]));
});
