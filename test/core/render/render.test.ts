import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parseRecipe } from "../../../src/core/recipe/parse.js";
import { resolveRecipe } from "../../../src/core/recipe/resolve.js";
import { renderRecipe } from "../../../src/core/render/render.js";
import { renderScript } from "../../../src/core/render/script.js";
import { portablePath, specPath } from "../../../src/core/render/spec-paths.js";
import { fieldInfo } from "../../../src/core/trl/fields.js";
import { parseVersion } from "../../../src/core/trl/version.js";
import { ROOT } from "../../helpers/cli.js";

const v = (s: string) => parseVersion(s)!;
const HOSTILE = `"""; import os; os.system("touch /tmp/pwned") #`;

const RECIPE = `name: two-stage
description: ${JSON.stringify(HOSTILE)}
model: {name: ${JSON.stringify(HOSTILE)}, chat_template: ${JSON.stringify(HOSTILE)}}
data:
  train: data/pairs.jsonl
  eval: {fraction: 0.1}
  columns: {prompt: ${JSON.stringify(HOSTILE)}}
stages:
  - id: sft
    trainer: sft
    peft: {r: 8}
    args: {run_name: ${JSON.stringify(HOSTILE)}}
  - id: dpo
    trainer: dpo
    from: sft
    args: {beta: 0.2, seed: 7}
`;

describe("renderRecipe", () => {
  const { recipe } = parseRecipe(RECIPE, "/work/recipes/two.yaml", { trl: v("1.13") });
  const resolved = resolveRecipe(recipe, "/work/recipes/two.yaml", "/runs/x/output");
  const [sft, dpo] = renderRecipe(resolved, v("1.13.0"), "0.1.0");

  it("names files by run order and stage id", () => {
    assert.equal(sft!.script.name, "stage-1-sft.py");
    assert.equal(dpo!.spec.name, "stage-2-dpo.json");
  });

  it("keeps every recipe value out of the script and in the JSON spec", () => {
    for (const stage of [sft!, dpo!]) assert.ok(!stage.script.text.includes("pwned"), stage.id);
    assert.equal(sft!.spec.value.model.name, HOSTILE);
    assert.equal(sft!.spec.value.args.run_name, HOSTILE);
    assert.equal(sft!.spec.value.data.columns.prompt, HOSTILE);
  });

  it("resolves paths, outputs and the stage a stage starts from", () => {
    assert.deepEqual(sft!.spec.value.data.train, { files: ["/work/recipes/data/pairs.jsonl"], format: "json" });
    assert.deepEqual(sft!.spec.value.data.eval, { fraction: 0.1, seed: 42 });
    assert.equal(sft!.spec.value.args.output_dir, "/runs/x/output/sft");
    assert.equal(dpo!.spec.value.from_dir, "/runs/x/output/sft");
    assert.equal(sft!.spec.value.from_dir, null);
  });

  it("with a layout, writes paths inside the owned folder relative to the spec's folder, and leaves the user's files absolute", () => {
    const [s1, s2] = renderRecipe(resolved, v("1.13.0"), "0.1.0", { specDir: "/runs/x/scripts", ownDir: "/runs/x" });
    assert.equal(s1!.spec.value.args.output_dir, "../output/sft");
    assert.equal(s2!.spec.value.from_dir, "../output/sft");
    assert.deepEqual(s1!.spec.value.data.train, { files: ["/work/recipes/data/pairs.jsonl"], format: "json" });
    assert.equal(portablePath("/elsewhere/out", { specDir: "/runs/x/scripts", ownDir: "/runs/x" }), "/elsewhere/out");
    assert.equal(
      portablePath("/runs/xy/out", { specDir: "/runs/x/scripts", ownDir: "/runs/x" }),
      "/runs/xy/out",
      "a sibling with a longer name is not inside",
    );
    assert.equal(specPath("/moved/scripts", "../output/sft"), "/moved/output/sft");
  });

  it("passes TRL args verbatim, with trellis defaults under the recipe's", () => {
    assert.equal(dpo!.spec.value.args.beta, 0.2);
    assert.equal(dpo!.spec.value.args.seed, 7);
    assert.equal(sft!.spec.value.args.seed, 42);
    assert.equal(sft!.spec.value.args.disable_tqdm, true);
  });

  it("completes the LoRA block for peft", () => {
    assert.deepEqual(sft!.spec.value.peft, {
      r: 8,
      lora_alpha: 32,
      lora_dropout: 0.05,
      target_modules: "all-linear",
      bias: "none",
      task_type: "CAUSAL_LM",
    });
    assert.equal(dpo!.spec.value.peft, null);
  });
});

describe("renderScript for a TRL version", () => {
  const script = (trainer: "sft" | "dpo" | "orpo", trl: string) =>
    renderScript({ trainer, stageId: "s", specFile: "stage-1-s.json", trl: v(trl) });

  it("imports ORPO from trl.experimental.orpo from 0.26 on, from trl before", () => {
    assert.match(script("orpo", "1.13.0"), /^ {4}from trl\.experimental\.orpo import ORPOConfig, ORPOTrainer$/m);
    assert.match(script("orpo", "0.26.0"), /from trl\.experimental\.orpo import/);
    assert.match(script("orpo", "0.25.1"), /^ {4}from trl import ORPOConfig, ORPOTrainer$/m);
  });

  it("passes the tokenizer as processing_class from 0.12, as tokenizer before", () => {
    assert.match(script("dpo", "0.12.0"), /processing_class=tokenizer,/);
    assert.match(script("dpo", "0.11.4"), /^ {8}tokenizer=tokenizer,$/m);
  });

  it("gives DPO a reference model (none with LoRA) and the others none", () => {
    assert.match(script("dpo", "1.13"), /ref_model = None if peft_config else load_model/);
    assert.doesNotMatch(script("orpo", "1.13"), /ref_model/);
    assert.doesNotMatch(script("sft", "1.13"), /ref_model/);
  });

  it("packs the batches of every preference trainer (padding-free) from TRL 1.x, and knows the switch", () => {
    for (const trainer of ["dpo", "orpo", "cpo", "simpo", "kto"] as const) {
      const text = renderScript({ trainer, stageId: "s", specFile: "stage-1-s.json", trl: v("1.13.0") });
      assert.match(text, /packed = padding_free\.take_switch\(SPEC\["args"\], SPEC\["stage"\]\["trainer"\], emit\)/);
      assert.match(text, /trainer = padding_free\.trainer_class\((DPO|ORPO|CPO|KTO)Trainer, packed\)\(/, trainer);
      const old = renderScript({ trainer, stageId: "s", specFile: "stage-1-s.json", trl: v("0.24.0") });
      assert.doesNotMatch(old, /padding_free/, `${trainer} for TRL 0.24`);
      assert.deepEqual(fieldInfo(trainer, "padding_free")?.kinds, ["boolean"], `check accepts ${trainer}'s switch`);
    }
    assert.doesNotMatch(script("sft", "1.13"), /padding_free\./);
  });

  it("turns off bf16 on machines without a GPU, and lets the command line override TRL arguments", () => {
    assert.match(
      script("sft", "1.13"),
      /parse_config\(SFTConfig, environment\.fit_precision\(SPEC\["args"\], emit\), argv\)/,
    );
  });

  it("is a script a person would write: main() behind a __main__ guard", () => {
    assert.match(script("dpo", "1.13"), /^def main\(argv: list\[str\] \| None = None\) -> None:$/m);
    assert.match(script("dpo", "1.13"), /^if __name__ == "__main__":\n {4}main\(\)\n$/m);
  });

  // The whole script, as a reader sees it. After a deliberate template change, refresh it with
  // TRELLIS_UPDATE_GOLDEN=1 and read the diff; `npm run lint` runs ruff on this file.
  it("matches the golden file of a DPO stage for TRL 1.13", () => {
    const golden = path.join(ROOT, "test", "fixtures", "rendered", "stage-2-dpo.py");
    const text = renderScript({ trainer: "dpo", stageId: "dpo", specFile: "stage-2-dpo.json", trl: v("1.13.0") });
    if (process.env.TRELLIS_UPDATE_GOLDEN) writeFileSync(golden, text);
    assert.equal(text, readFileSync(golden, "utf8"));
  });
});
