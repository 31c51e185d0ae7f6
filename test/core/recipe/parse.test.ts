import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RecipeError } from "../../../src/core/recipe/errors.js";
import { parseRecipe } from "../../../src/core/recipe/parse.js";
import { parseVersion } from "../../../src/core/trl/version.js";

const TRL_1_13 = { trl: parseVersion("1.13.0")! };

const VALID = `name: demo
model:
  name: Qwen/Qwen2-0.5B
data:
  train: data/pairs.jsonl
stages:
  - id: sft
    trainer: sft
  - id: dpo
    trainer: dpo
    from: sft
    args:
      beta: 0.1
      learning_rate: 5e-6
`;

function problems(text: string, options = TRL_1_13): string[] {
  try {
    parseRecipe(text, "r.yaml", options);
  } catch (err) {
    assert.ok(err instanceof RecipeError, `expected a RecipeError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    return err.message.split("\n");
  }
  assert.fail("the recipe was accepted");
}

describe("parseRecipe", () => {
  it("accepts a valid recipe and fills defaults", () => {
    const { recipe } = parseRecipe(VALID, "r.yaml", TRL_1_13);
    assert.equal(recipe.seed, 42);
    assert.equal(recipe.model.trust_remote_code, false);
    assert.equal(recipe.stages[1]!.args.learning_rate, 5e-6);
    assert.deepEqual(recipe.preference_eval, { max_pairs: 200 });
  });

  const cases: Array<[string, string, RegExp]> = [
    [
      "unknown top-level key",
      VALID.replace("name: demo", "name: demo\nsed: 1"),
      /^r\.yaml:2:1: sed: unknown key; did you mean 'seed'\?$/,
    ],
    [
      "unknown model key",
      VALID.replace("  name: Qwen", "  dtyp: float32\n  name: Qwen"),
      /^r\.yaml:3:3: model\.dtyp: unknown key; did you mean 'dtype'\?$/,
    ],
    [
      "unknown TRL field",
      VALID.replace("beta: 0.1", "betta: 0.1"),
      /^r\.yaml:13:7: stages\[1\]\.args\.betta: unknown DPOConfig field in TRL 1\.13\.0; did you mean 'beta'\?$/,
    ],
    [
      "wrong TRL field type",
      VALID.replace("beta: 0.1", 'beta: "high"'),
      /stages\[1\]\.args\.beta: must be a number \(got "high"\)/,
    ],
    [
      "wrong type",
      VALID.replace("name: demo", "name: demo\nseed: abc"),
      /^r\.yaml:2:7: seed: must be a number \(got "abc"\)$/,
    ],
    [
      "missing field",
      VALID.replace(/data:\n {2}train: data\/pairs.jsonl\n/, ""),
      /^r\.yaml:1:1: data: is required \(a mapping\)$/,
    ],
    [
      "bad enum",
      VALID.replace("trainer: sft", "trainer: ppo"),
      /stages\[0\]\.trainer: must be "sft" or "dpo" or "orpo"( or "\w+")* \(got "ppo"\)/,
    ],
    [
      "unknown from",
      VALID.replace("from: sft", "from: sfx"),
      /^r\.yaml:11:11: stages\[1\]\.from: no stage has id 'sfx'; did you mean 'sft'\?/,
    ],
    [
      "cycle",
      VALID.replace("trainer: sft", "trainer: sft\n    from: dpo"),
      /stages start from each other in a cycle: (sft -> dpo -> sft|dpo -> sft -> dpo)/,
    ],
    ["duplicate stage id", VALID.replace("id: dpo", "id: sft"), /duplicate stage id 'sft'/],
    [
      "removed DPO field",
      VALID.replace("beta: 0.1", "max_prompt_length: 128"),
      /DPOConfig has no 'max_prompt_length' since TRL 0\.29\.0 .*max_length/,
    ],
    [
      "reserved arg",
      VALID.replace("beta: 0.1", "output_dir: out"),
      /args\.output_dir: trellis gives each stage its own output folder/,
    ],
    [
      "path traversal in a stage id",
      VALID.replace("id: sft", "id: ../../etc").replace("from: sft", "from: ../../etc"),
      /stages\[0\]\.id: a stage id may use letters/,
    ],
    [
      "unknown data format",
      VALID.replace("data/pairs.jsonl", "data/pairs.txt"),
      /cannot tell the format of 'data\/pairs.txt'/,
    ],
    [
      "two data sources",
      VALID.replace("train: data/pairs.jsonl", "train: {path: a.jsonl, hub: org/set}"),
      /data\.train: give one of path/,
    ],
    [
      "shortened LoRA key",
      VALID.replace("    from: sft", "    from: sft\n    peft: {r: 8, alpha: 16}"),
      /stages\[1\]\.peft\.alpha: unknown key; did you mean 'lora_alpha'\?/,
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(`reports ${name} with its location`, () => {
      const lines = problems(text);
      assert.ok(
        lines.some((l) => expected.test(l)),
        `no line matches ${expected}:\n${lines.join("\n")}`,
      );
    });
  }

  it("reports schema and TRL-args problems in one pass, in line order", () => {
    const lines = problems(VALID.replace("name: demo", "name: demo\nseed: x").replace("beta: 0.1", "betta: 1"));
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^r\.yaml:2:/);
    assert.match(lines[1]!, /betta/);
  });

  it("accepts fields an older target TRL still has", () => {
    const old = VALID.replace("beta: 0.1", "max_prompt_length: 128");
    const { recipe } = parseRecipe(old, "r.yaml", { trl: parseVersion("0.24")! });
    assert.equal(recipe.stages[1]!.args.max_prompt_length, 128);
  });

  it("accepts a string loss_type (DPOConfig wraps it in a list)", () => {
    parseRecipe(VALID.replace("beta: 0.1", "loss_type: ipo"), "r.yaml", TRL_1_13);
  });

  describe("hostile input", () => {
    it("rejects an alias bomb", () => {
      const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"];
      for (let i = 1; i < 10; i++)
        bomb.push(
          `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [*${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}]`,
        );
      const [line] = problems(bomb.join("\n"));
      assert.match(line!, /^r\.yaml: invalid YAML: .*alias/i);
    });
    it("rejects deep nesting without a stack overflow", () => {
      const [line] = problems(`name: ${"[".repeat(100_000)}`);
      assert.match(line!, /^r\.yaml(:\d+:\d+)?: (invalid YAML|the YAML is nested too deeply)/);
    });
    it("rejects binary junk", () => {
      const [line] = problems("\u0000\u0001\u0002PK\u0003\u0004");
      assert.match(line!, /not UTF-8 text/);
    });
    it("rejects a file that is not a mapping", () => {
      assert.match(problems("- just\n- a list\n")[0]!, /a recipe is a YAML mapping/);
    });
    it("rejects invalid YAML with a location", () => {
      assert.match(problems("name: demo\nmodel: [unclosed\n")[0]!, /^r\.yaml:\d+:\d+: invalid YAML/);
    });
    it("rejects duplicate keys", () => {
      assert.match(problems("name: a\nname: b\n")[0]!, /invalid YAML: .*unique/i);
    });
    it("rejects a huge file", () => {
      assert.match(problems(`description: "${"x".repeat(2 << 20)}"`)[0]!, /larger than/);
    });
  });
});
