/**
 * Configs from the wild, imported with the quickstart's model and data swapped in through
 * recipes/overrides/quickstart.yaml, run to completion on the CPU with the real CLI; and a
 * recipe exported to a TRL CLI config runs with the real `trl dpo --config`.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { execa } from "execa";
import { parse } from "yaml";
import { eventsOf, onlyRun, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { needsWild, WILD } from "../helpers/wild.js";

const ws = workspace("import");
const OVERRIDE = path.join(RECIPES, "overrides", "quickstart.yaml");

/** `trellis import|export ...` through the real CLI. */
function cli(command: "import" | "export", args: string[]) {
  return trellis([command, ...args], { cwd: ws.dir, env: ws.env });
}

async function importAndRun(name: string, fixture: string, trainer: string, extra: string[] = []): Promise<string> {
  const recipe = path.join(ws.dir, `${name}.yaml`);
  const imported = await cli("import", [path.join(WILD, fixture), "--override", OVERRIDE, "-o", recipe, ...extra]);
  assert.equal(imported.exitCode, 0, imported.stderr);
  assert.match(imported.stderr, /KEY +STATUS +TO +NOTE/);
  const runs = path.join(ws.dir, `runs-${name}`);
  const run = await trellis(["run", recipe, "--json", "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
  assert.equal(run.exitCode, 0, run.stderr);
  const dir = onlyRun(runs);
  const events = readEvents(path.join(dir, "events.jsonl"));
  assert.deepEqual(
    eventsOf(events, "stage_start").map((e) => e.stage),
    [trainer],
  );
  assert.equal(eventsOf(events, "run_end")[0]?.status, "finished");
  assert.ok(eventsOf(events, "metrics").length > 0, "training logged metrics");
  return path.join(dir, "output", trainer);
}

const RUNS: Array<[name: string, fixture: string, trainer: string, extra?: string[]]> = [
  ["trl-dpo", "trl/examples_cli_configs_example_config.yaml", "dpo", ["--trainer", "dpo"]],
  ["handbook-dpo", "alignment-handbook/recipes_zephyr-7b-beta_dpo_config_full.yaml", "dpo"],
  ["handbook-dpo-qlora", "alignment-handbook/recipes_zephyr-7b-beta_dpo_config_qlora.yaml", "dpo"],
  ["axolotl-dpo-lora", "axolotl/examples_llama-3_instruct-dpo-lora-8b.yml", "dpo"],
  ["axolotl-dpo", "axolotl/examples_qwen2_dpo.yaml", "dpo"],
  ["llamafactory-dpo", "llama-factory/examples_train_lora_qwen3_lora_dpo.yaml", "dpo"],
  ["handbook-orpo", "alignment-handbook/recipes_zephyr-141b-A35b_orpo_config_full.yaml", "orpo"],
  ["axolotl-orpo", "axolotl/examples_mistral_orpo_mistral-qlora-orpo.yml", "orpo"],
];

// CI trains one config of each tool (a 4-bit QLoRA one among them); `node scripts/test-matrix.mjs`
// trains all of them and commits the result (test/results/imported-configs.txt).
const CI_RUNS = new Set(["trl-dpo", "handbook-dpo", "llamafactory-dpo", "axolotl-orpo"]);
const runs = process.env.TRELLIS_MATRIX === "full" ? RUNS : RUNS.filter(([name]) => CI_RUNS.has(name));
const outputs = new Map<string, string>();

describe(
  "imported configs run on the CPU with the quickstart's model and data",
  { timeout: RUN_TIMEOUT_MS, ...needsWild },
  () => {
    for (const [name, fixture, trainer, extra] of runs) {
      it(`${name} (${fixture})`, async () => {
        outputs.set(name, await importAndRun(name, fixture, trainer, extra));
      });
    }
  },
);

describe("trellis import on the command line", () => {
  it("--json gives the report and the recipe; every row has a status", needsWild, async () => {
    const r = await cli("import", [path.join(WILD, "axolotl/examples_qwen2_dpo.yaml"), "--json"]);
    assert.equal(r.exitCode, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      format: string;
      trainer: string;
      report: Array<{ key: string; status: string }>;
      yaml: string;
    };
    assert.equal(out.ok, true);
    assert.equal(out.format, "axolotl");
    assert.equal(out.trainer, "dpo");
    assert.ok(out.report.some((row) => row.key === "chat_template" && row.status === "unsupported"));
    assert.equal((parse(out.yaml) as { model: { name: string } }).model.name, "Qwen/Qwen2.5-0.5B");
  });
  it("writes the recipe to stdout without -o", needsWild, async () => {
    const r = await cli("import", [path.join(WILD, "trl/examples_cli_configs_example_config.yaml")]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal((parse(r.stdout) as { stages: Array<{ trainer: string }> }).stages[0]!.trainer, "sft");
    assert.match(r.stderr, /trainer sft \(the file's comments/);
  });
  it("bad usage and unreadable files exit 2 with one line", async () => {
    for (const args of [
      [],
      ["--from", "torchtune", "x.yaml"],
      ["--trainer", "ppo", "x.yaml"],
      ["nope.yaml"],
      ["--bogus", "x.yaml"],
    ]) {
      const r = await cli("import", args);
      assert.equal(r.exitCode, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    writeFileSync(path.join(ws.dir, "unknown.yaml"), "hello: world\n");
    const unknown = await cli("import", ["unknown.yaml"]);
    assert.equal(unknown.exitCode, 2);
    assert.match(unknown.stderr, /cannot tell which tool .*--from/);
  });
  it("an import that does not validate is written for fixing and exits 2", async () => {
    writeFileSync(path.join(ws.dir, "no-data.yaml"), "model_name_or_path: org/model\nlearning_rate: 1.0e-5\n");
    const out = path.join(ws.dir, "no-data.recipe.yaml");
    const r = await cli("import", ["no-data.yaml", "-o", out]);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /no training data/);
    assert.match(r.stderr, /no-data\.recipe\.yaml:\d+:\d+: data\.train: is required/);
    assert.match(readFileSync(out, "utf8"), /org\/model/);
  });
});

describe("trellis export --to trl", { timeout: RUN_TIMEOUT_MS }, () => {
  it("the shipped recipes: SFT+DPO chained, LoRA DPO; ORPO and tiny models are refused with reasons", async () => {
    const out = path.join(ws.dir, "export-sft-dpo");
    const r = await cli("export", [path.join(RECIPES, "sft-dpo.yaml"), "--to", "trl", "-o", out, "--json"]);
    assert.equal(r.exitCode, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { stages: Array<{ id: string; file: string; command: string }> };
    assert.deepEqual(
      result.stages.map((s) => s.id),
      ["sft", "dpo"],
    );
    assert.equal(
      (parse(readFileSync(path.join(out, "dpo.yaml"), "utf8")) as { model_name_or_path: string }).model_name_or_path,
      "output/sft",
    );
    const refused = await cli("export", [
      path.join(RECIPES, "quickstart-orpo.yaml"),
      "-o",
      path.join(ws.dir, "export-orpo"),
    ]);
    assert.equal(refused.exitCode, 2);
    assert.match(refused.stdout, /cannot export stage 'orpo'.*\n.*no `trl orpo` command/);
  });

  it("an exported DPO stage runs with the real `trl dpo --config`", async (t) => {
    const model = outputs.get("handbook-dpo");
    if (!model) return t.skip("needs the handbook-dpo run's output (full weights) as its model");
    const recipe = path.join(ws.dir, "trl-check.yaml");
    writeFileSync(
      recipe,
      `name: trl-check
model: {name: ${JSON.stringify(model)}, dtype: float32}
data:
  train: ${JSON.stringify(path.join(RECIPES, "data", "colors-train.jsonl"))}
  eval: {fraction: 0.1}
stages:
  - id: dpo
    trainer: dpo
    args: {max_steps: 2, per_device_train_batch_size: 4, bf16: false, report_to: none, max_length: 64, save_strategy: "no", gradient_checkpointing: false, logging_steps: 1}
`,
    );
    const out = path.join(ws.dir, "export-trl-check");
    const exported = await cli("export", [recipe, "--to", "trl", "-o", out]);
    assert.equal(exported.exitCode, 0, exported.stderr);
    const doctor = await trellis(["env", "doctor", "--json"], { cwd: ws.dir, env: ws.env });
    const python = (JSON.parse(doctor.stdout) as { python: { path: string } }).python.path;
    const trl = await execa(path.join(path.dirname(python), "trl"), ["dpo", "--config", "dpo.yaml"], {
      cwd: out,
      env: { ...ws.env, TRL_EXPERIMENTAL_SILENCE: "1" },
      reject: false,
      stdin: "ignore",
    });
    assert.equal(trl.exitCode, 0, String(trl.stderr).slice(-3000));
    assert.match(String(trl.stdout) + String(trl.stderr), /Training completed/);
  });

  it("trellis run takes a TRL CLI config as is, imports it on the fly and says so", async (t) => {
    const model = outputs.get("handbook-dpo");
    if (!model) return t.skip("needs the handbook-dpo run's output (full weights) as its model");
    const config = path.join(ws.dir, "trl-dpo-config.yaml");
    writeFileSync(
      config,
      `# trl dpo --config trl-dpo-config.yaml
model_name_or_path: ${JSON.stringify(model)}
torch_dtype: float32
dataset_name: ${JSON.stringify(path.join(RECIPES, "data", "colors-train.jsonl"))}
dataset_train_split: train

beta: 0.1
max_steps: 2
per_device_train_batch_size: 4
max_length: 64
bf16: false
gradient_checkpointing: false
save_strategy: "no"
logging_steps: 1
report_to: none
output_dir: out-dpo
`,
    );
    const runs = path.join(ws.dir, "runs-on-the-fly");
    const run = await trellis(["run", config, "--json", "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(run.exitCode, 0, run.stderr);
    const dir = onlyRun(runs);
    const events = readEvents(path.join(dir, "events.jsonl"));
    assert.match(
      eventsOf(events, "notice")
        .map((n) => n.message)
        .join("\n"),
      /trl-dpo-config\.yaml is a trl config: imported on the fly/,
    );
    assert.ok(existsSync(path.join(dir, "source-config.yaml")));
    assert.equal(eventsOf(events, "run_end")[0]?.status, "finished");
  });
});
