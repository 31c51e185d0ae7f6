/**
 * LLaMA-Factory's newer (v1) layout through the real CLI: `trellis import` with the quickstart's
 * model and data swapped in, then `trellis check` of the result; and one imported DPO+LoRA
 * config run to completion on the CPU.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { eventsOf, onlyRun, readEvents, RECIPES, ROOT, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("import-lf-v1");
const OVERRIDE = path.join(RECIPES, "overrides", "quickstart.yaml");
const V1 = path.join(ROOT, "test", "fixtures", "llama-factory-v1");
const DPO = path.join(V1, "examples_v1_train_lora_train_lora_dpo.yaml");

async function importWithOverride(fixture: string, out: string, extra: string[] = []) {
  const recipe = path.join(ws.dir, out);
  const imported = await trellis(["import", fixture, "--override", OVERRIDE, "-o", recipe, ...extra], {
    cwd: ws.dir,
    env: ws.env,
  });
  assert.equal(imported.exitCode, 0, imported.stderr);
  assert.match(imported.stderr, /KEY +STATUS +TO +NOTE/);
  return { recipe, stderr: imported.stderr };
}

describe("LLaMA-Factory v1 configs import and pass trellis check", () => {
  for (const [name, trainer, extra] of [
    ["examples_v1_train_lora_train_lora_dpo.yaml", "dpo", []],
    ["examples_v1_train_lora_train_lora_dpo.yaml", "dpo", ["--from", "llama-factory"]],
    ["examples_v1_train_lora_train_lora_sft.yaml", "sft", []],
    ["examples_v1_train_full_train_full_deepspeed.yaml", "sft", ["--from", "llamafactory"]],
  ] as const) {
    it(`${name} ${extra.join(" ")}`.trim(), async () => {
      const { recipe, stderr } = await importWithOverride(path.join(V1, name), `${trainer}-${extra.length}-${name}`, [
        ...extra,
      ]);
      assert.match(stderr, new RegExp(`llamafactory config, trainer ${trainer}`));
      assert.match(stderr, /dist_config\.name +unsupported/);
      const check = await trellis(["check", recipe], { cwd: ws.dir, env: ws.env });
      assert.equal(check.exitCode, 0, check.stderr + check.stdout);
      assert.match(check.stdout + check.stderr, new RegExp(`ok \\(${trainer}:${trainer}\\)`));
    });
  }

  it("--json names every key of the source, nested block keys included", async () => {
    const r = await trellis(["import", DPO, "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal(r.exitCode, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      format: string;
      trainer: string;
      report: Array<{ key: string }>;
      yaml: string;
    };
    assert.equal(out.format, "llamafactory");
    assert.deepEqual(out.report.map((x) => x.key).sort(), [
      "cutoff_len",
      "dist_config.dcp_path",
      "dist_config.name",
      "kernel_config.name",
      "learning_rate",
      "max_new_tokens",
      "max_steps",
      "micro_batch_size",
      "model",
      "model_class",
      "output_dir",
      "peft_config.lora_alpha",
      "peft_config.lora_dropout",
      "peft_config.name",
      "peft_config.r",
      "peft_config.target_modules",
      "sample_backend",
      "train_dataset",
    ]);
    assert.equal((parse(out.yaml) as { model: { name: string } }).model.name, "Qwen/Qwen3-4B");
  });
});

describe("an imported LLaMA-Factory v1 DPO+LoRA config runs", { timeout: RUN_TIMEOUT_MS }, () => {
  it("on the CPU with the quickstart's model and data", async () => {
    const { recipe } = await importWithOverride(DPO, "v1-dpo-run.yaml");
    const runs = path.join(ws.dir, "runs-v1-dpo");
    const run = await trellis(["run", recipe, "--json", "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(run.exitCode, 0, run.stderr);
    const events = readEvents(path.join(onlyRun(runs), "events.jsonl"));
    assert.deepEqual(
      eventsOf(events, "stage_start").map((e) => e.stage),
      ["dpo"],
    );
    assert.equal(eventsOf(events, "run_end")[0]?.status, "finished");
  });
});
