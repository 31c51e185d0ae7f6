/** Importing SimPO, CPO and the DPO loss family from axolotl, LLaMA-Factory and TRL configs. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { importConfig, ImportError, type ImportResult, type Raw } from "../../../../src/core/interop/import/index.js";
import { parseRecipe } from "../../../../src/core/recipe/parse.js";
import { parseVersion } from "../../../../src/core/trl/version.js";

const validate = (r: ImportResult) =>
  parseRecipe(stringify(r.recipe), "imported.yaml", { trl: parseVersion("1.13.0")! }).recipe;
const args = (r: ImportResult) => (r.recipe.stages as Array<{ args: Raw }>)[0]!.args;
const row = (r: ImportResult, key: string) => r.report.find((x) => x.key === key)!;
const AXOLOTL = { base_model: "m/x", datasets: [{ path: "a/b", type: "chatml.intel" }] };
const LF = { model_name_or_path: "m/x", stage: "dpo", dataset: "d" };

describe("axolotl", () => {
  it("rl: simpo is a simpo stage with axolotl's values where the config is silent (CPOConfig's defaults)", () => {
    const r = importConfig({ ...AXOLOTL, rl: "simpo" }, "axolotl", { file: "x.yml" });
    assert.equal(r.trainer, "simpo");
    assert.deepEqual(args(r), { beta: 0.1, simpo_gamma: 0.5, cpo_alpha: 1.0 });
    assert.match(row(r, "rl").note, /CPO-SimPO/);
    validate(r);
  });

  it("rl: simpo keeps the config's rl_beta, simpo_gamma and cpo_alpha", () => {
    const r = importConfig({ ...AXOLOTL, rl: "simpo", rl_beta: 2.5, simpo_gamma: 1.4, cpo_alpha: 0 }, "axolotl", {
      file: "x.yml",
    });
    assert.deepEqual(args(r), { beta: 2.5, simpo_gamma: 1.4, cpo_alpha: 0 });
    validate(r);
  });

  it("dpo_loss_type takes any DPO loss of the pinned TRL, and check names one it lacks", () => {
    const r = importConfig({ ...AXOLOTL, rl: "dpo", dpo_loss_type: ["apo_zero"] }, "axolotl", { file: "x.yml" });
    assert.deepEqual(args(r).loss_type, ["apo_zero"]);
    validate(r);
    const old = importConfig({ ...AXOLOTL, rl: "dpo", dpo_loss_type: ["kto_pair"] }, "axolotl", { file: "x.yml" });
    assert.throws(() => validate(old), /no loss type 'kto_pair'; it has sigmoid, hinge/);
  });
});

describe("LLaMA-Factory", () => {
  it("pref_loss sigmoid, hinge and ipo are DPO losses; orpo is ORPO", () => {
    for (const loss of ["sigmoid", "hinge", "ipo"]) {
      const r = importConfig({ ...LF, pref_loss: loss }, "llamafactory", { file: "x.yaml" });
      assert.equal(r.trainer, "dpo");
      if (loss !== "sigmoid") assert.deepEqual(args(r).loss_type, [loss]);
      validate(r);
    }
    assert.equal(importConfig({ ...LF, pref_loss: "orpo" }, "llamafactory", { file: "x.yaml" }).trainer, "orpo");
  });

  it("pref_loss simpo is a simpo stage: pref_beta, simpo_gamma, pref_ftx as cpo_alpha, LLaMA-Factory's defaults", () => {
    const r = importConfig({ ...LF, pref_loss: "simpo" }, "llamafactory", { file: "x.yaml" });
    assert.equal(r.trainer, "simpo");
    assert.deepEqual(args(r), { beta: 0.1, simpo_gamma: 0.5, cpo_alpha: 0 });
    validate(r);
    const own = importConfig(
      { ...LF, pref_loss: "simpo", pref_beta: 2.0, simpo_gamma: 1.0, pref_ftx: 0.2 },
      "llamafactory",
      { file: "x.yaml" },
    );
    assert.deepEqual(args(own), { beta: 2.0, simpo_gamma: 1.0, cpo_alpha: 0.2 });
    assert.equal(row(own, "pref_ftx").status, "migrated");
    validate(own);
  });

  it("pref_loss kto_pair is refused, naming its successor", () => {
    assert.throws(
      () => importConfig({ ...LF, pref_loss: "kto_pair" }, "llamafactory", { file: "x.yaml" }),
      (e: Error) => e instanceof ImportError && /KTOTrainer/.test(e.message),
    );
  });
});

describe("TRL CPO configs", () => {
  it("CPOConfig's own keys make a cpo stage (never the simpo preset: TRL's defaults stay)", () => {
    const r = importConfig(
      { model_name_or_path: "m/x", dataset_name: "a/b", loss_type: "simpo", cpo_alpha: 0.0, simpo_gamma: 0.7 },
      "trl",
      { file: "config.yaml" },
    );
    assert.equal(r.trainer, "cpo");
    assert.deepEqual([args(r).loss_type, args(r).cpo_alpha, args(r).simpo_gamma], ["simpo", 0, 0.7]);
    validate(r);
  });

  it("keys every preference config has stay DPO without a hint, as before CPO was a trainer", () => {
    const raw = { model_name_or_path: "m/x", dataset_name: "a/b", beta: 0.1, disable_dropout: true };
    assert.equal(importConfig(raw, "trl", { file: "config.yaml" }).trainer, "dpo");
    assert.equal(importConfig(raw, "trl", { file: "x_orpo_config.yaml" }).trainer, "orpo");
  });

  it("`trl cpo` in the comments picks CPO when the keys do not", () => {
    const raw = { model_name_or_path: "m/x", dataset_name: "a/b", beta: 0.1 };
    const r = importConfig(raw, "trl", { file: "config.yaml", text: "# trl cpo --config config.yaml\nbeta: 0.1\n" });
    assert.equal(r.trainer, "cpo");
  });
});

// KTO configs (axolotl rl: kto, LLaMA-Factory stage: kto) import into kto stages.
describe("KTO configs", () => {
  it("axolotl rl: kto and LLaMA-Factory stage: kto import into kto stages that check", () => {
    for (const [raw, format] of [
      [{ ...AXOLOTL, rl: "kto", rl_beta: 0.2, kto_undesirable_weight: 1.5 }, "axolotl"],
      [{ ...LF, stage: "kto", pref_beta: 0.2, kto_rejected_weight: 1.5 }, "llamafactory"],
    ] as const) {
      const r = importConfig(raw, format, { file: "x.yaml" });
      assert.equal(r.trainer, "kto");
      assert.equal(args(r).beta, 0.2);
      assert.equal(args(r).undesirable_weight, 1.5);
      validate(r);
    }
  });
});

describe("SimPO repository configs (handbook style)", () => {
  it("gamma_beta_ratio makes a simpo stage: simpo_gamma = ratio x beta, sft_weight as cpo_alpha", () => {
    // The keys of princeton-nlp/SimPO's training_configs/llama-3-8b-instruct-simpo.yaml.
    const raw = {
      model_name_or_path: "meta-llama/Meta-Llama-3-8B-Instruct",
      dataset_mixer: { "princeton-nlp/llama3-ultrafeedback": 1.0 },
      dataset_splits: ["train", "test"],
      beta: 2.5,
      gamma_beta_ratio: 0.55,
      loss_type: "sigmoid",
      learning_rate: 1.0e-6,
      max_length: 2048,
    };
    const r = importConfig(raw, "handbook", { file: "llama-3-8b-instruct-simpo.yaml" });
    assert.equal(r.trainer, "simpo");
    const a = args(r);
    assert.equal(a.beta, 2.5);
    assert.ok(Math.abs((a.simpo_gamma as number) - 1.375) < 1e-9);
    assert.equal(a.cpo_alpha, 0);
    assert.equal(a.loss_type, undefined); // the preset's simpo
    validate(r);
  });
});
