import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { modelFolder, readModelFacts } from "../../src/adapters/model-files.js";
import { fakeModel } from "../helpers/fake-model.js";

const dir = mkdtempSync(path.join(tmpdir(), "trellis-model-"));

describe("model files", () => {
  it("reads module names, sizes and the chat template without loading weights", async () => {
    const facts = await readModelFacts(fakeModel(path.join(dir, "m"), true));
    assert.deepEqual(facts.modules, [
      "model.embed_tokens",
      "model.layers.0.self_attn.q_proj",
      "model.layers.0.self_attn.v_proj",
      "model.layers.0.mlp.down_proj",
      "lm_head",
    ]);
    assert.equal(facts.parameters, 32 * 8 * 2 + 64 * 2 + 128 + 8);
    assert.equal(facts.weightBytes, facts.parameters * 4);
    assert.equal(facts.chatTemplate, true);
    assert.equal((await readModelFacts(fakeModel(path.join(dir, "n"), false))).chatTemplate, false);
  });
  it("finds a local folder, or the snapshot in the Hugging Face cache", () => {
    assert.equal(modelFolder(path.join(dir, "m"), undefined, dir), path.join(dir, "m"));
    const hub = path.join(dir, "hf", "hub", "models--org--name");
    fakeModel(path.join(hub, "snapshots", "abc123"), true);
    mkdirSync(path.join(hub, "refs"), { recursive: true });
    writeFileSync(path.join(hub, "refs", "main"), "abc123\n");
    const env = { HF_HOME: path.join(dir, "hf") };
    assert.equal(modelFolder("org/name", undefined, dir, env), path.join(hub, "snapshots", "abc123"));
    assert.equal(modelFolder("org/other", undefined, dir, env), null);
    // A legacy one-word id (gpt2) is cached as models--gpt2.
    const legacy = path.join(dir, "hf", "hub", "models--gpt2");
    fakeModel(path.join(legacy, "snapshots", "def456"), false);
    assert.equal(modelFolder("gpt2", undefined, dir, env), path.join(legacy, "snapshots", "def456"));
  });
});
