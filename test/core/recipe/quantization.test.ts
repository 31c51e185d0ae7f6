// QLoRA recipes for each trainer: what the schema and the checks accept and refuse (with the
// location and one actionable message), what reaches the stage spec, and what the script does.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PackageUniverse } from "../../../src/core/env/extras.js";
import { formatProblem, RecipeError } from "../../../src/core/recipe/errors.js";
import { diskNeed } from "../../../src/core/recipe/model-checks.js";
import { packageNeeds, packageProblems } from "../../../src/core/recipe/packages.js";
import { parseRecipe } from "../../../src/core/recipe/parse.js";
import { resolveRecipe } from "../../../src/core/recipe/resolve.js";
import { renderRecipe } from "../../../src/core/render/render.js";
import { Recipe } from "../../../src/core/recipe/schema.js";
import { parseVersion } from "../../../src/core/trl/version.js";

const TRL = { trl: parseVersion("1.13.0")! };
const UNIVERSE: PackageUniverse = {
  base: ["torch", "trl", "transformers", "peft"],
  extras: [
    {
      name: "bitsandbytes",
      requires: ["bitsandbytes"],
      about: "",
      lockText: "bitsandbytes==0.50.2\n",
      packages: ["bitsandbytes"],
    },
    {
      name: "flash-attn",
      requires: ["flash-attn"],
      about: "",
      unavailable: "PyPI has flash-attn as source only. Use attn_implementation: sdpa",
      packages: ["flash-attn"],
    },
  ],
};

/** A one-stage QLoRA recipe; `model` and `stage` are extra YAML lines under each. */
function qlora(
  trainer: "sft" | "dpo" | "orpo",
  o: { model?: string; stage?: string; top?: string; peft?: boolean } = {},
): string {
  const peft = o.peft === false ? "" : "    peft: {r: 8, lora_alpha: 16}\n";
  return `name: q\n${o.top ?? "extras: [bitsandbytes]\n"}model:\n  name: org/m\n  quantization:\n    bits: 4\n${o.model ?? ""}data:\n  train: d.jsonl\nstages:\n  - id: ${trainer}\n    trainer: ${trainer}\n${peft}${o.stage ?? ""}`;
}

/** The formatted problems of a recipe (schema, checks, then packages), or [] when it is fine. */
function problems(text: string, cliExtras: string[] = []): string[] {
  try {
    const parsed = parseRecipe(text, "q.yaml", TRL);
    return packageProblems(parsed, "q.yaml", UNIVERSE, cliExtras).map(formatProblem);
  } catch (err) {
    if (err instanceof RecipeError) return err.problems.map(formatProblem);
    throw err;
  }
}

describe("QLoRA recipes", () => {
  for (const trainer of ["sft", "dpo", "orpo"] as const) {
    it(`${trainer}: 4-bit with a peft block passes every check and renders`, () => {
      const text = qlora(trainer, {
        model:
          "    quant_type: fp4\n    compute_dtype: bfloat16\n    double_quant: false\n  attn_implementation: sdpa\n",
        stage: "    merge: true\n    args: {optim: paged_adamw_8bit}\n",
      });
      assert.deepEqual(problems(text), []);
      const { recipe } = parseRecipe(text, "/r/q.yaml", TRL);
      const [stage] = renderRecipe(resolveRecipe(recipe, "/r/q.yaml", "/runs/x/output"), TRL.trl, "0.1.0");
      assert.deepEqual(stage!.spec.value.model.quantization, {
        bits: 4,
        quant_type: "fp4",
        compute_dtype: "bfloat16",
        double_quant: false,
      });
      assert.equal(stage!.spec.value.model.attn_implementation, "sdpa");
      assert.equal(stage!.spec.value.merge, true);
      const script = stage!.script.text;
      assert.match(script, /^ {4}model = quantization\.prepare_for_training\(model, SPEC\["args"\]\)$/m);
      assert.match(
        script,
        /^ {8}merged = merge_stage\(SPEC, out_dir=str\(Path\(args\.output_dir\) \/ "merged"\), adapter_dir=args\.output_dir\)$/m,
      );
      assert.match(
        script,
        /emit\.emit\("saved", path=args\.output_dir, adapter=peft_config is not None, merged=merged\)/,
      );
      // DPO's reference with an adapter is the (quantised) policy with the adapter off: no second load.
      if (trainer === "dpo") assert.match(script, /ref_model = None if peft_config else load_model/);
    });
  }

  it("a plain recipe's spec has no quantization, no attention kernel and no merge", () => {
    const { recipe } = parseRecipe(
      "name: p\nmodel: {name: m}\ndata: {train: d.jsonl}\nstages:\n  - {id: dpo, trainer: dpo}\n",
      "/r/p.yaml",
      TRL,
    );
    const [stage] = renderRecipe(resolveRecipe(recipe, "/r/p.yaml", "/o"), TRL.trl, "0.1.0");
    assert.equal(stage!.spec.value.model.quantization, null);
    assert.equal(stage!.spec.value.model.attn_implementation, null);
    assert.equal(stage!.spec.value.merge, false);
  });

  it("a stage without a peft block under model.quantization is refused at the stage", () => {
    assert.deepEqual(problems(qlora("dpo", { peft: false, stage: "    args: {beta: 0.1}\n" })), [
      "q.yaml:10:5: stages[0]: stage 'dpo' has no peft block, but model.quantization loads the weights in 4 bits, which cannot be trained themselves: add a peft block (QLoRA), or remove model.quantization to fine-tune fully",
    ]);
  });

  it("every stage of a chain needs its adapter", () => {
    const text = `${qlora("sft")}  - id: dpo\n    trainer: dpo\n    from: sft\n`;
    assert.deepEqual(
      problems(text).map((p) => p.split(": ")[1]),
      ["stages[1]"],
    );
  });

  it("4-bit settings at 8 bits are refused one by one", () => {
    const text = qlora("sft").replace("bits: 4", "bits: 8\n    quant_type: nf4\n    double_quant: true");
    assert.deepEqual(problems(text), [
      "q.yaml:7:17: model.quantization.quant_type: a 4-bit setting: 8-bit loading (bits: 8) has no quant_type; remove it, or use bits: 4",
      "q.yaml:8:19: model.quantization.double_quant: a 4-bit setting: 8-bit loading (bits: 8) has no double_quant; remove it, or use bits: 4",
    ]);
  });

  it("schema errors name what is allowed, and typos get a suggestion", () => {
    assert.match(
      problems(qlora("dpo").replace("bits: 4", "bits: 2")).join("\n"),
      /model\.quantization\.bits: must be 4 or 8/,
    );
    assert.match(problems(qlora("dpo", { model: "    quant_type: int4\n" })).join("\n"), /quant_type: .*"nf4".*"fp4"/);
    assert.match(
      problems(qlora("dpo", { model: "    double_qaunt: true\n" })).join("\n"),
      /model\.quantization\.double_qaunt: unknown key.*did you mean 'double_quant'/,
    );
    assert.match(
      problems(qlora("dpo", { model: "  attn_implementation: flash\n" })).join("\n"),
      /attn_implementation: .*"eager".*"sdpa".*"flash_attention_2"/,
    );
  });

  it("merge on a full fine-tuning stage is refused: there is no adapter", () => {
    const text =
      "name: p\nmodel: {name: m}\ndata: {train: d.jsonl}\nstages:\n  - id: sft\n    trainer: sft\n    merge: true\n";
    assert.deepEqual(problems(text), [
      "q.yaml:7:12: stages[0].merge: stage 'sft' trains the full model (no peft block): its output is already a full model, there is no adapter to merge; remove merge",
    ]);
  });

  it("an optimizer name transformers does not know is refused with the nearest one", () => {
    assert.deepEqual(problems(qlora("dpo", { stage: "    args: {optim: paged_adamw_8bits}\n" })), [
      "q.yaml:13:19: stages[0].args.optim: 'paged_adamw_8bits' is not an optimizer transformers knows; did you mean 'paged_adamw_8bit'? (8-bit and paged ones: adamw_bnb_8bit, paged_adamw_8bit, paged_adamw_32bit)",
    ]);
  });
});

describe("QLoRA packages", () => {
  it("model.quantization needs the bitsandbytes extra, and says how to add it", () => {
    assert.deepEqual(problems(qlora("orpo", { top: "" })), [
      `q.yaml:5:5: model.quantization: model.quantization (4-bit loading) needs the package bitsandbytes, which the environment lacks: add "extras: [bitsandbytes]" to the recipe, or run with --extra bitsandbytes`,
    ]);
    assert.deepEqual(problems(qlora("orpo", { top: "" }), ["bitsandbytes"]), [], "--extra bitsandbytes is enough");
  });

  it("flash_attention_2 names the reason it cannot be installed and the alternative", () => {
    const [p] = problems(qlora("sft", { model: "  attn_implementation: flash_attention_2\n" }));
    assert.equal(
      p,
      "q.yaml:7:24: model.attn_implementation: attn_implementation 'flash_attention_2' needs the package flash-attn, which the environment lacks, and the flash-attn extra cannot be installed here: PyPI has flash-attn as source only. Use attn_implementation: sdpa",
    );
  });

  it("paged and 8-bit optimizers without the extra say so at the arg", () => {
    const [p] = problems(qlora("dpo", { top: "", stage: "    args: {optim: paged_adamw_32bit}\n" }), []);
    assert.ok(p);
    const all = problems(qlora("dpo", { top: "", stage: "    args: {optim: paged_adamw_32bit}\n" }));
    assert.deepEqual(
      all.map((x) => x.split(": ")[1]),
      ["model.quantization", "stages[0].args.optim"],
    );
  });

  const optimizers: Array<[string, string[]]> = [
    ["lion_32bit", ["bitsandbytes"]],
    ["ademamix", ["bitsandbytes"]],
    ["paged_ademamix_8bit", ["bitsandbytes"]],
    ["rmsprop_bnb", ["bitsandbytes"]],
    ["galore_adamw_8bit", ["galore-torch"]],
    ["apollo_adamw", ["apollo-torch"]],
    ["adamw_torch", []],
  ];
  for (const [optim, packages] of optimizers) {
    it(`optim ${optim} -> ${packages.join(", ") || "nothing"}`, () => {
      assert.deepEqual(
        packageNeeds({ optim }, ["args"]).map((n) => n.package),
        packages,
      );
    });
  }
});

describe("merge: true and the disk", () => {
  it("counts the merged model beside the adapter", () => {
    const facts = { where: "/m", modules: null, chatTemplate: true, weightBytes: 4_000_000, parameters: 1_000_000 };
    const recipe = Recipe.parse({
      name: "r",
      model: { name: "m", quantization: { bits: 4 } },
      data: { train: "d.jsonl" },
      checkpoint_every_minutes: 0,
      stages: [{ id: "dpo", trainer: "dpo", merge: true, peft: {}, args: { save_strategy: "no" } }],
    });
    const need = diskNeed(recipe, facts)!;
    assert.equal(need.bytes, 0.08e6 + 4e6);
    assert.deepEqual(need.parts, ["dpo: adapter 80.0 KB + merged model 4.0 MB"]);
  });
});
