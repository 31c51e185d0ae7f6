// The package rule: which args need which package, and what check says when the environment lacks it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { extrasSet, mergeExtraPins, type PackageUniverse } from "../../../src/core/env/extras.js";
import { formatProblem } from "../../../src/core/recipe/errors.js";
import { packageNeeds, packageProblems } from "../../../src/core/recipe/packages.js";
import { parseRecipe } from "../../../src/core/recipe/parse.js";
import { parseVersion } from "../../../src/core/trl/version.js";

const TRL = { trl: parseVersion("1.13.0")! };
const lock = (...pins: string[]) => pins.map((p) => `${p}==1.0\n`).join("");

/** A universe shaped like python/extras: a base lock and extras with and without locks. */
const UNIVERSE: PackageUniverse = {
  base: ["torch", "trl", "transformers"],
  extras: [
    {
      name: "tensorboard",
      requires: ["tensorboard"],
      about: "",
      lockText: lock("tensorboard", "protobuf"),
      packages: ["tensorboard", "protobuf"],
    },
    {
      name: "wandb",
      requires: ["wandb"],
      about: "",
      lockText: lock("wandb", "protobuf"),
      packages: ["protobuf", "wandb"],
    },
    {
      name: "bitsandbytes",
      requires: ["bitsandbytes"],
      about: "",
      lockText: lock("bitsandbytes"),
      packages: ["bitsandbytes"],
    },
    {
      name: "liger-kernel",
      requires: ["liger-kernel"],
      about: "",
      lockText: lock("liger_kernel", "triton"),
      packages: ["liger-kernel", "triton"],
    },
    { name: "deepspeed", requires: ["deepspeed"], about: "", lockText: lock("deepspeed"), packages: ["deepspeed"] },
    { name: "flash-attn", requires: ["flash-attn"], about: "", unavailable: "source only", packages: ["flash-attn"] },
  ],
};

function recipe(args: string, extras = ""): string {
  return `name: r\n${extras}model:\n  name: m\ndata:\n  train: d.jsonl\nstages:\n  - id: dpo\n    trainer: dpo\n    args:\n${args}`;
}

function check(args: string, cliExtras: string[] = []): string[] {
  return packageProblems(parseRecipe(recipe(args), "r.yaml", TRL), "r.yaml", UNIVERSE, cliExtras).map(formatProblem);
}

describe("packageNeeds", () => {
  const cases: Array<[Record<string, unknown>, string[]]> = [
    [{ report_to: "wandb" }, ["wandb"]],
    [{ report_to: ["tensorboard", "mlflow", "comet_ml"] }, ["tensorboard", "mlflow", "comet-ml"]],
    [{ report_to: "none" }, []],
    [{ report_to: "all" }, []],
    [{ optim: "adamw_bnb_8bit" }, ["bitsandbytes"]],
    [{ optim: "paged_adamw_32bit" }, ["bitsandbytes"]],
    [{ optim: "lion_8bit" }, ["bitsandbytes"]],
    [{ optim: "adamw_torch_8bit" }, ["torchao"]],
    [{ optim: "adamw_torch_fused" }, []],
    [{ deepspeed: "zero2.json" }, ["deepspeed"]],
    [{ deepspeed: { zero_optimization: { stage: 2 } } }, ["deepspeed"]],
    [{ deepspeed: null }, []],
    [{ use_liger_kernel: true }, ["liger-kernel"]],
    [{ use_liger_kernel: false }, []],
    [{ model_init_kwargs: { attn_implementation: "flash_attention_2" } }, ["flash-attn"]],
    [{ model_init_kwargs: { attn_implementation: "sdpa" } }, []],
  ];
  for (const [args, packages] of cases) {
    it(`${JSON.stringify(args)} -> ${packages.join(", ") || "nothing"}`, () => {
      assert.deepEqual(
        packageNeeds(args, ["args"]).map((n) => n.package),
        packages,
      );
    });
  }

  it("points at the list element that names the tracker", () => {
    assert.deepEqual(packageNeeds({ report_to: ["none", "wandb"] }, ["stages", 0, "args"])[0]?.path, [
      "stages",
      0,
      "args",
      "report_to",
      1,
    ]);
  });
});

describe("packageProblems", () => {
  it("names the package, the arg's location and the two ways to add it", () => {
    assert.deepEqual(check("      report_to: wandb\n"), [
      `r.yaml:10:18: stages[0].args.report_to: report_to 'wandb' needs the package wandb, which the environment lacks: add "extras: [wandb]" to the recipe, or run with --extra wandb`,
    ]);
  });

  it("is satisfied by the recipe's extras or by --extra", () => {
    assert.deepEqual(check("      report_to: [wandb, tensorboard]\n", ["wandb", "tensorboard"]), []);
    assert.equal(check("      report_to: wandb\n", ["tensorboard"]).length, 1);
    assert.deepEqual(check("      optim: paged_adamw_8bit\n"), [
      `r.yaml:10:14: stages[0].args.optim: optim 'paged_adamw_8bit' needs the package bitsandbytes, which the environment lacks: add "extras: [bitsandbytes]" to the recipe, or run with --extra bitsandbytes`,
    ]);
    assert.deepEqual(check("      optim: paged_adamw_8bit\n      use_liger_kernel: true\n", []).length, 2);
    assert.deepEqual(
      check("      optim: adamw_bnb_8bit\n      use_liger_kernel: true\n      deepspeed: z.json\n").map(
        (l) => l.split(": ")[1],
      ),
      ["stages[0].args.optim", "stages[0].args.use_liger_kernel", "stages[0].args.deepspeed"],
    );
    const withExtras = recipe(
      "      optim: adamw_bnb_8bit\n      use_liger_kernel: true\n      deepspeed: z.json\n",
      "extras: [bitsandbytes, liger-kernel, deepspeed]\n",
    );
    assert.deepEqual(packageProblems(parseRecipe(withExtras, "r.yaml", TRL), "r.yaml", UNIVERSE), []);
  });

  it("says when the extra exists but cannot be installed, and when no extra provides the package", () => {
    const [flash] = check("      model_init_kwargs:\n        attn_implementation: flash_attention_2\n");
    assert.match(
      flash!,
      /^r\.yaml:11:30: stages\[0\]\.args\.model_init_kwargs\.attn_implementation: attn_implementation 'flash_attention_2' needs the package flash-attn, which the environment lacks, and the flash-attn extra cannot be installed here: source only$/,
    );
    const [mlflow] = check("      report_to: [tensorboard, mlflow]\n", ["tensorboard"]);
    assert.match(
      mlflow!,
      /^r\.yaml:10:32: stages\[0\]\.args\.report_to\[1\]: report_to 'mlflow' needs the package mlflow, which the environment lacks and no trellis extra provides \(extras: tensorboard, wandb, /,
    );
  });

  it("checks the recipe's extras names and report_to names", () => {
    const text = recipe("      report_to: wandbb\n", "extras: [wandb, tensorbord, flash-attn]\n");
    assert.deepEqual(packageProblems(parseRecipe(text, "r.yaml", TRL), "r.yaml", UNIVERSE).map(formatProblem), [
      "r.yaml:2:17: extras[1]: unknown extra 'tensorbord'; did you mean 'tensorboard'? (extras: tensorboard, wandb, bitsandbytes, liger-kernel, deepspeed, flash-attn)",
      "r.yaml:2:29: extras[2]: the flash-attn extra cannot be installed here: source only",
      "r.yaml:11:18: stages[0].args.report_to: 'wandbb' is not a report_to integration; did you mean 'wandb'? (known: azure_ml, clearml, codecarbon, comet_ml, dagshub, dvclive, flyte, mlflow, neptune, swanlab, tensorboard, trackio, wandb, all, none)",
    ]);
  });

  it("a recipe that needs nothing extra passes with no extras", () => {
    assert.deepEqual(check("      beta: 0.1\n      report_to: none\n"), []);
  });
});

describe("extras sets and pins", () => {
  it("a set is sorted and has no duplicates, so the same extras always name the same venv", () => {
    assert.deepEqual(extrasSet(["wandb", "tensorboard"], ["wandb"]), ["tensorboard", "wandb"]);
    assert.deepEqual(extrasSet([], []), []);
  });

  it("merging locks keeps one pin per package and reports disagreements", () => {
    const merged = mergeExtraPins([
      {
        name: "wandb",
        pins: [
          { name: "wandb", version: "0.31.0" },
          { name: "protobuf", version: "7.36.2" },
        ],
      },
      {
        name: "tensorboard",
        pins: [
          { name: "Protobuf", version: "7.36.2" },
          { name: "tensorboard", version: "2.21.0" },
        ],
      },
    ]);
    assert.deepEqual(
      merged.pins.map((p) => `${p.name}==${p.version}`),
      ["protobuf==7.36.2", "tensorboard==2.21.0", "wandb==0.31.0"],
    );
    assert.deepEqual(merged.conflicts, []);
    const clash = mergeExtraPins([
      { name: "a", pins: [{ name: "protobuf", version: "6" }] },
      { name: "b", pins: [{ name: "protobuf", version: "7" }] },
    ]);
    assert.deepEqual(clash.conflicts, ["protobuf: a pins 6, b pins 7"]);
  });
});
