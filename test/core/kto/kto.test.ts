/**
 * KTO across the core: its TRL import per release, its reference model and class-balance line in
 * the rendered script, its args checked against KTOConfig's fields, its unpaired rows checked,
 * and the balance `check` reports (the runtime's side: python/tests/test_kto.py).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { plannedPasses } from "../../../src/core/compare/advice.js";
import { ktoBalance, ktoNote, ktoPassesPerPair } from "../../../src/core/data/kto.js";
import { estimateMemory, type MemoryInput } from "../../../src/core/plan/memory.js";
import { planArgs } from "../../../src/core/plan/stage.js";
import { ColumnMap, columnUseOf, RowChecker } from "../../../src/core/data/rows.js";
import { RecipeError } from "../../../src/core/recipe/errors.js";
import { parseRecipe } from "../../../src/core/recipe/parse.js";
import { renderScript } from "../../../src/core/render/script.js";
import { fieldAt } from "../../../src/core/trl/fields.js";
import { parseVersion } from "../../../src/core/trl/version.js";
import { RECIPES } from "../../helpers/cli.js";

const v = (s: string) => parseVersion(s)!;
const script = (trl: string) => renderScript({ trainer: "kto", stageId: "s", specFile: "stage-1-s.json", trl: v(trl) });

describe("the rendered KTO stage", () => {
  it("imports KTO from trl before 0.26 and from 1.8 on, from trl.experimental.kto in between", () => {
    for (const stable of ["0.12.0", "0.25.1", "1.8.0", "1.13.0"])
      assert.match(script(stable), /^ {4}from trl import KTOConfig, KTOTrainer$/m, stable);
    for (const experimental of ["0.26.0", "0.29.1", "1.0.0", "1.7.1"])
      assert.match(
        script(experimental),
        /^ {4}from trl\.experimental\.kto import KTOConfig, KTOTrainer$/m,
        experimental,
      );
  });

  it("has a reference model (none with LoRA) and sets the class-balance weights from the data", () => {
    const s = script("1.13");
    assert.match(s, /ref_model = None if peft_config else load_model/);
    assert.match(s, /^ {8}ref_model=ref_model,$/m);
    assert.match(s, /^ {4}SPEC\["args"\] = kto\.balanced_weights\(data\.train, SPEC\["args"\], emit\)$/m);
    assert.match(s, /from trellis_runtime import kto, padding_free, probe, quantization/);
    assert.doesNotMatch(
      renderScript({ trainer: "dpo", stageId: "s", specFile: "x.json", trl: v("1.13") }),
      /balanced_weights/,
    );
  });
});

describe("a KTO stage's args", () => {
  const recipe = (args: string) => `name: demo
model:
  name: Qwen/Qwen2-0.5B
data:
  train: data/pairs.jsonl
stages:
  - id: s
    trainer: kto
    args:
      ${args}
`;
  const problems = (text: string, trl = "1.13") => {
    try {
      parseRecipe(text, "r.yaml", { trl: v(trl) });
    } catch (err) {
      assert.ok(err instanceof RecipeError, String(err));
      return err.message;
    }
    return "";
  };
  it("are KTOConfig's fields of the installed TRL", () => {
    assert.equal(problems(recipe("{beta: 0.1, desirable_weight: 1.33, undesirable_weight: 1.0, max_length: 64}")), "");
    assert.match(problems(recipe("{desirable_weigth: 1.0}")), /desirable_weigth/);
    assert.match(problems(recipe("{beta: high}")), /beta/);
  });
  it("are judged by the target release's KTOConfig: max_prompt_length until TRL removed it", () => {
    assert.equal(fieldAt("kto", "max_prompt_length", v("0.24")).kind, "known");
    assert.equal(problems(recipe("{max_prompt_length: 128}"), "0.19"), "");
    assert.match(problems(recipe("{max_prompt_length: 128}")), /max_prompt_length/);
    assert.equal(fieldAt("kto", "desirable_weight", v("0.12")).kind, "known");
  });
});

describe("KTO's rows", () => {
  const check = (rows: Array<Record<string, unknown>>) => {
    const map = new ColumnMap({});
    const checker = new RowChecker(columnUseOf("kto", Object.keys(map.standard(rows[0]!))), map);
    const problems = rows.flatMap((r, i) =>
      checker.check(r, i).map((p) => `${i + 1}: ${p.column ?? "-"}: ${p.message}`),
    );
    return { problems, checker };
  };
  it("unpaired: prompt, completion and a boolean label, counted", () => {
    const { problems, checker } = check([
      { prompt: "Q", completion: " a", label: true, id: 1 },
      { prompt: "Q", completion: " b", label: false },
      { prompt: "Q", completion: " c", label: true },
    ]);
    assert.deepEqual(problems, []);
    assert.equal(checker.detectedShape, "unpaired-text");
    assert.equal(checker.desirable, 2);
  });
  it("names a label that is not a boolean, and mixed shapes, with the row", () => {
    const { problems } = check([
      { prompt: "Q", completion: " a", label: true },
      { prompt: "Q", completion: " b", label: 1 },
      { prompt: "Q", completion: " b", label: "yes" },
      { prompt: [{ role: "user", content: "Q" }], completion: " b", label: false },
    ]);
    assert.deepEqual(problems, [
      "2: label: a number (1); a label must be true (a desirable answer) or false (an undesirable one)",
      '3: label: string ("yes"); a label must be true (a desirable answer) or false (an undesirable one)',
      "4: prompt: chat messages, where the first row has text; a column holds one kind of value",
    ]);
  });
  it("conversational: chat-message completions", () => {
    const { problems, checker } = check([
      { prompt: "Q", completion: [{ role: "assistant", content: "a" }], label: false },
    ]);
    assert.deepEqual(problems, []);
    assert.equal(checker.detectedShape, "unpaired-messages");
  });
  it("the bundled unpaired file: unpaired-text, 320 desirable of 533 (python/tests/test_kto.py reads it alike)", () => {
    const rows = readFileSync(path.join(RECIPES, "data", "colors-unpaired-train.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const { problems, checker } = check(rows);
    assert.deepEqual(problems, []);
    assert.deepEqual([checker.detectedShape, checker.rows, checker.desirable], ["unpaired-text", 533, 320]);
  });
  it("pairs: read as pairs (the runtime unpairs them)", () => {
    assert.deepEqual(columnUseOf("kto", ["prompt", "chosen", "rejected"]), {
      pairs: true,
      columns: ["prompt", "chosen", "rejected"],
    });
  });
});

describe("KTO's class balance, as check reports it", () => {
  it("leaves balanced data and a ratio in [1, 4/3] alone", () => {
    assert.equal(ktoBalance(10, 10, {}).adjusted, false);
    assert.equal(ktoBalance(12, 10, {}).adjusted, false);
  });
  it("raises the weight of the rarer kind when both are unset, as the runtime does", () => {
    assert.deepEqual([ktoBalance(10, 30, {}).desirableWeight, ktoBalance(10, 30, {}).undesirableWeight], [3, 1]);
    const many = ktoBalance(320, 213, {});
    assert.deepEqual([many.desirableWeight, many.undesirableWeight, many.adjusted, many.inRange], [1, 1.5, true, true]);
  });
  it("keeps the user's weights, and says when they are out of range", () => {
    const b = ktoBalance(10, 30, { desirable_weight: 2 });
    assert.deepEqual([b.desirableWeight, b.adjusted, b.inRange], [2, false, false]);
    assert.match(
      ktoNote("unpaired-text", 40, 10, { desirable_weight: 2 }, "train"),
      /outside TRL's recommended \[1, 1\.33\]/,
    );
  });
  it("says pairs are unpaired, and that unpaired eval data gets no preference accuracy", () => {
    assert.match(
      ktoNote("text", 320, 0, {}, "train"),
      /^KTO: unpaired into 320 desirable and 320 undesirable examples/,
    );
    assert.match(
      ktoNote("unpaired-text", 533, 320, {}, "train"),
      /imbalanced, so trellis sets desirable_weight 1, undesirable_weight 1\.5/,
    );
    assert.match(ktoNote("unpaired-text", 3, 1, {}, "eval"), /held-out preference accuracy needs pairs and is skipped/);
    assert.match(ktoNote("unpaired-text", 3, 3, {}, "train"), /add examples with label false/);
  });
});

describe("the planner's arithmetic for a KTO stage", () => {
  const input: MemoryInput = {
    model: { params: 494e6, layers: 24, hidden: 896, vocab: 151_936 },
    weightBytes: 2,
    trainable: 494e6,
    optimizer: "adamw_torch",
    trainer: "kto",
    lora: false,
    seqLen: 384,
    microBatch: 8,
    gradientCheckpointing: false,
    precomputeRef: false,
  };
  it("holds a reference copy as DPO does (none with LoRA or precomputed log-probs)", () => {
    assert.equal(estimateMemory(input).reference, 494e6 * 2);
    assert.equal(estimateMemory({ ...input, lora: true }).reference, 0);
    assert.equal(estimateMemory({ ...input, precomputeRef: true }).reference, 0);
  });
  it("keeps activations for one row per example (DPO: two per pair); the KL pass keeps none", () => {
    const kto = estimateMemory(input);
    const dpo = estimateMemory({ ...input, trainer: "dpo" });
    assert.equal(kto.activations * 2, dpo.activations);
    assert.equal(kto.logits * 2, dpo.logits);
  });
  it("plans precompute_ref_log_probs for KTO as for DPO", () => {
    const c = { microBatch: 4, accumulation: 2, gradientCheckpointing: true, precomputeRef: true };
    assert.equal(planArgs(c, "kto").precompute_ref_log_probs, true);
  });
});

describe("a KTO arm's planned compute in compare", () => {
  it("counts two examples a pair, each trained, scored by the reference, and its KL passes", () => {
    assert.equal(ktoPassesPerPair(false), 4);
    assert.equal(ktoPassesPerPair(true), 8 / 3);
    const recipe = parseRecipe(
      `name: k
model: {name: Qwen/Qwen2-0.5B}
data: {train: data/pairs.jsonl}
stages:
  - {id: kto, trainer: kto, args: {num_train_epochs: 2}}
`,
      "k.yaml",
      { trl: v("1.13") },
    ).recipe;
    assert.equal(plannedPasses(recipe, 320), 2 * 320 * 4);
  });
});
