/** cpo and simpo stages, and the DPO loss family: checked against the target TRL, rendered per version. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RecipeError } from "../../../src/core/recipe/errors.js";
import { parseRecipe } from "../../../src/core/recipe/parse.js";
import { resolveRecipe } from "../../../src/core/recipe/resolve.js";
import { exportToTrlCli } from "../../../src/core/interop/export/trl-cli.js";
import { renderRecipe } from "../../../src/core/render/render.js";
import { renderScript } from "../../../src/core/render/script.js";
import { configClass, fieldInfo } from "../../../src/core/trl/fields.js";
import { SIMPO_DEFAULTS } from "../../../src/core/trl/presets.js";
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
    args: {${args}}
`;

function problems(text: string, trl = "1.13.0"): string[] {
  try {
    parseRecipe(text, "r.yaml", { trl: v(trl) });
  } catch (err) {
    assert.ok(err instanceof RecipeError, `expected a RecipeError, got ${String(err)}`);
    return err.message.split("\n");
  }
  return [];
}

describe("cpo and simpo", () => {
  it("fill CPOConfig: its fields are checked (simpo reads cpo's)", () => {
    assert.equal(configClass("simpo"), "CPOConfig");
    assert.equal(fieldInfo("simpo", "simpo_gamma")?.default, 0.5);
    assert.deepEqual(problems(recipe("cpo", "cpo_alpha: 0.5, beta: 0.2")), []);
    assert.deepEqual(problems(recipe("simpo", "simpo_gamma: 0.8, beta: 2.5")), []);
    assert.ok(problems(recipe("simpo", "simpo_gama: 1")).some((l) => /unknown CPOConfig field.*simpo_gamma/.test(l)));
  });

  it("render TRL's CPOTrainer from trl.experimental.cpo from 0.26 on, from trl before, with no reference", () => {
    for (const trainer of ["cpo", "simpo"] as const) {
      const script = (trl: string) => renderScript({ trainer, stageId: "s", specFile: "stage-1-s.json", trl: v(trl) });
      assert.match(script("1.13.0"), /^ {4}from trl\.experimental\.cpo import CPOConfig, CPOTrainer$/m);
      assert.match(script("0.25.1"), /^ {4}from trl import CPOConfig, CPOTrainer$/m);
      assert.doesNotMatch(script("1.13.0"), /ref_model/);
    }
  });

  it("simpo puts SimPO's loss and published defaults under the recipe's args, which win", () => {
    const spec = (args: string) => {
      const { recipe: r } = parseRecipe(recipe("simpo", args), "/w/r.yaml", { trl: v("1.13.0") });
      const [stage] = renderRecipe(resolveRecipe(r, "/w/r.yaml", "/runs/x/output"), v("1.13.0"), "0.1.0");
      return stage!.spec.value;
    };
    assert.deepEqual(SIMPO_DEFAULTS, { loss_type: "simpo", cpo_alpha: 0, beta: 2, simpo_gamma: 1 });
    assert.deepEqual(spec("learning_rate: 1e-6").args.beta, 2);
    const own = spec("beta: 2.5, simpo_gamma: 1.4, cpo_alpha: 0.1").args;
    assert.deepEqual([own.loss_type, own.beta, own.simpo_gamma, own.cpo_alpha], ["simpo", 2.5, 1.4, 0.1]);
  });

  it("are not exported as TRL CLI configs: TRL has no `trl cpo` command", () => {
    for (const trainer of ["cpo", "simpo"]) {
      const { recipe: r } = parseRecipe(recipe(trainer, ""), "r.yaml", { trl: v("1.13.0") });
      const out = exportToTrlCli(r, { recipeDir: "/w" });
      assert.deepEqual(out.stages, []);
      assert.match(out.skipped[0]!.reasons.join("\n"), /no `trl cpo` command/);
    }
  });

  it("a simpo stage keeps loss_type simpo", () => {
    assert.ok(problems(recipe("simpo", "loss_type: hinge")).some((l) => /use trainer: cpo/.test(l)));
    assert.ok(
      problems(recipe("cpo", "loss_type: kto_pair")).some((l) =>
        /no loss type 'kto_pair'; it has sigmoid, hinge, ipo, simpo, alphapo/.test(l),
      ),
    );
  });
});

describe("the DPO loss family", () => {
  it("accepts every loss type of the target TRL, single or a weighted list", () => {
    const values = fieldInfo("dpo", "loss_type")!.values!;
    assert.ok(values.includes("apo_zero") && values.includes("discopop") && values.length >= 15);
    for (const loss of values) {
      const extra = loss === "exo_pair" ? ", label_smoothing: 0.001" : "";
      assert.deepEqual(problems(recipe("dpo", `loss_type: ${loss}${extra}`)), [], loss);
    }
    assert.deepEqual(problems(recipe("dpo", "loss_type: [sigmoid, bco_pair, sft], loss_weights: [0.8, 0.2, 1.0]")), []);
  });

  it("names the loss types the target TRL lacks, with the ones it has", () => {
    const lines = problems(recipe("dpo", "loss_type: [sigmoid, kto_pair, simpo]"));
    assert.ok(
      lines.some((l) =>
        /stages\[0\]\.args\.loss_type: DPOConfig in TRL 1\.13\.0 has no loss type 'kto_pair', 'simpo'; it has sigmoid, hinge, ipo, .*sigmoid_norm/.test(
          l,
        ),
      ),
      lines.join("\n"),
    );
  });

  it("wants one weight per loss type, and label smoothing for exo_pair", () => {
    assert.ok(
      problems(recipe("dpo", "loss_type: [sigmoid, sft], loss_weights: [1.0]")).some((l) =>
        /1 loss_weights for 2 loss types/.test(l),
      ),
    );
    assert.ok(problems(recipe("dpo", "loss_type: exo_pair")).some((l) => /label_smoothing above 0/.test(l)));
  });

  it("does not judge loss names for a TRL whose own table it lacks", () => {
    // 1.14 is judged by the 1.13 table: it may have added loss types.
    assert.deepEqual(problems(recipe("dpo", "loss_type: [sigmoid, brand_new]"), "1.14.0"), []);
  });
});
