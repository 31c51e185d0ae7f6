/**
 * QLoRA and merging, for real on the CPU (bitsandbytes' CPU backend trains 4-bit weights): the
 * QLoRA DPO quickstart, cut to a few steps, trains an adapter on the 4-bit tiny model and leaves
 * it merged (merge: true); the LoRA DPO quickstart, cut the same way, is merged afterwards by
 * `trellis merge`. One Python process then checks both merged models: plain weights (no
 * quantisation config, nn.Linear layers) whose logits match the adapter on the model it trained on.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { execa } from "execa";
import { eventsOf, onlyRun, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { hubCacheWith } from "../helpers/hub-cache.js";

const ws = workspace("qlora");
mkdirSync(path.join(ws.dir, "data"));
for (const f of ["colors-train.jsonl", "colors-eval.jsonl"])
  copyFileSync(path.join(RECIPES, "data", f), path.join(ws.dir, "data", f));
/** Few steps: the point is that 4-bit training, the reference and the merge work, not what is learnt. */
const STEPS = 6;

/** A quickstart cut to STEPS steps, logging every step, without the preference evaluation. */
function cut(recipe: string): string {
  const text = readFileSync(path.join(RECIPES, recipe), "utf8")
    .replace(/num_train_epochs: \d+/, `max_steps: ${STEPS}`)
    .replace(/logging_steps: \d+/, "logging_steps: 1")
    .replace(/^data:/m, "preference_eval: false\ndata:");
  const file = path.join(ws.dir, recipe);
  writeFileSync(file, text);
  return file;
}

async function run(recipe: string) {
  const runs = path.join(ws.dir, `runs-${path.basename(recipe, ".yaml")}`);
  const started = Date.now();
  const result = await trellis(["run", cut(recipe), "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
  assert.equal(result.exitCode, 0, `${recipe}:\n${result.stderr}`);
  process.stderr.write(`# ${recipe}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const dir = onlyRun(runs);
  return {
    dir,
    runs,
    events: readEvents(path.join(dir, "events.jsonl")),
    python: (JSON.parse(readFileSync(path.join(dir, "launch.json"), "utf8")) as { python: string }).python,
  };
}

/** Loads each merged model with plain transformers and compares it with its adapter on the model it trained on. */
const VERIFY = `
import json, sys, torch
sys.path.insert(0, sys.argv[1])
from transformers import AutoModelForCausalLM
from peft import PeftModel
from pathlib import Path
from trellis_runtime.arguments import load_spec
from trellis_runtime.models import load_model, resolve_model_name
out = {}
for name, spec_file, merged_dir in json.loads(sys.argv[2]):
    spec = load_spec(Path(spec_file))
    merged = AutoModelForCausalLM.from_pretrained(merged_dir)
    config = json.load(open(merged_dir + "/config.json"))
    linear = {type(m).__name__ for n, m in merged.named_modules() if n.endswith("q_proj")}
    trained = PeftModel.from_pretrained(load_model(resolve_model_name(spec["model"]), spec["model"]), spec["args"]["output_dir"])
    base_layer = type(trained.base_model.model.model.layers[0].self_attn.q_proj.base_layer).__name__
    plain = AutoModelForCausalLM.from_pretrained(resolve_model_name(spec["model"]))
    ids = torch.randint(0, 300, (2, 16), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a, b, c = (m(input_ids=ids).logits.float() for m in (trained, merged, plain))
    out[name] = {"quantization_config": "quantization_config" in config, "linear": sorted(linear), "trained_on": base_layer,
                 "vs_adapter": (a - b).abs().max().item(), "vs_base": (b - c).abs().max().item()}
print(json.dumps(out))
`;

describe("QLoRA DPO and merging on the CPU", { timeout: RUN_TIMEOUT_MS }, () => {
  let qlora: Awaited<ReturnType<typeof run>>;
  let lora: Awaited<ReturnType<typeof run>>;
  let merged: { run: string; stage: string; merged: string };
  before(async () => {
    qlora = await run("quickstart-dpo-qlora.yaml");
    lora = await run("quickstart-dpo-lora.yaml");
    const started = Date.now();
    const m = await trellis(["merge", path.basename(lora.dir), "--runs-dir", lora.runs, "--json"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(m.exitCode, 0, m.stderr);
    process.stderr.write(`# trellis merge: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    merged = JSON.parse(m.stdout) as typeof merged;
  });

  it("the QLoRA run loads the model in 4 bits, trains an adapter against the adapter-off reference and saves it", () => {
    const [provenance] = eventsOf(qlora.events, "provenance", "dpo");
    assert.equal(provenance?.model.quantized, "4bit");
    assert.equal(provenance?.model.attn_implementation, "sdpa");
    const losses = eventsOf(qlora.events, "metrics", "dpo").map((e) => e.metrics.loss as number);
    assert.equal(losses.length, STEPS);
    // Step 1: the policy is the reference (LoRA's B starts at zero), so DPO's loss is ln 2.
    assert.ok(Math.abs(losses[0]! - Math.log(2)) < 1e-3, `first loss ${losses[0]}`);
    assert.ok(losses.every(Number.isFinite));
    const out = path.join(qlora.dir, "output", "dpo");
    for (const f of ["adapter_config.json", "adapter_model.safetensors", "tokenizer.json"])
      assert.ok(existsSync(path.join(out, f)), f);
    const [saved] = eventsOf(qlora.events, "saved", "dpo");
    assert.deepEqual([saved?.adapter, saved?.merged], [true, path.join(out, "merged")]);
    assert.equal(eventsOf(qlora.events, "run_end")[0]?.status, "finished");
  });

  it("trellis merge merges the LoRA quickstart's adapter into output/dpo/merged", () => {
    assert.deepEqual(merged, {
      run: path.basename(lora.dir),
      stage: "dpo",
      merged: path.join(lora.dir, "output", "dpo", "merged"),
    });
    assert.ok(existsSync(path.join(merged.merged, "model.safetensors")));
    assert.ok(existsSync(path.join(merged.merged, "tokenizer.json")));
  });

  it("both merged models are plain full models whose logits are the adapter's on the model it trained on", async () => {
    const pairs = [
      ["qlora", path.join(qlora.dir, "scripts", "stage-1-dpo.json"), path.join(qlora.dir, "output", "dpo", "merged")],
      ["lora", path.join(lora.dir, "scripts", "stage-1-dpo.json"), merged.merged],
    ];
    const v = await execa(qlora.python, ["-c", VERIFY, path.join(qlora.dir, "scripts"), JSON.stringify(pairs)], {
      env: ws.env,
      reject: false,
    });
    assert.equal(v.exitCode, 0, v.stderr);
    const facts = JSON.parse(v.stdout.trim().split("\n").at(-1)!) as Record<
      string,
      { quantization_config: boolean; linear: string[]; trained_on: string; vs_adapter: number; vs_base: number }
    >;
    assert.equal(facts.qlora!.trained_on, "Linear4bit");
    assert.equal(facts.lora!.trained_on, "Linear");
    for (const [name, f] of Object.entries(facts)) {
      assert.equal(f.quantization_config, false, `${name}: no quantization_config in config.json`);
      assert.deepEqual(f.linear, ["Linear"], name);
      assert.ok(f.vs_adapter < 1e-4, `${name}: merged logits differ from the adapter's by ${f.vs_adapter}`);
      assert.ok(f.vs_base > 1e-3, `${name}: the merge changed the model (${f.vs_base} from the untrained base)`);
    }
  });

  it("merge refuses what it cannot do, with the reason and exit code 2", async () => {
    const bad = await trellis(["merge", path.basename(lora.dir), "--runs-dir", lora.runs, "--stage", "sft"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /has no stage 'sft' \(stages: dpo\)/);
    // A full fine-tuning run: its prepared-run record (launch.json) and events as trellis writes them.
    const full = path.join(ws.dir, "runs-full", "20261201-000000-full-0000");
    mkdirSync(full, { recursive: true });
    const prepared = JSON.parse(readFileSync(path.join(lora.dir, "launch.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(
      path.join(full, "launch.json"),
      JSON.stringify({ ...prepared, runId: path.basename(full), runDir: full }),
    );
    writeFileSync(
      path.join(full, "events.jsonl"),
      `${JSON.stringify({ type: "saved", time: 1, stage: "dpo", path: "/x/output/dpo", adapter: false, seq: 1 })}\n`,
    );
    const fullMerge = await trellis(["merge", "--runs-dir", path.dirname(full)], { cwd: ws.dir, env: ws.env });
    assert.equal(fullMerge.exitCode, 2);
    assert.match(fullMerge.stderr, /no stage of 20261201-000000-full-0000 trained a LoRA adapter/);
    const stage = await trellis(["merge", "--runs-dir", path.dirname(full), "--stage", "dpo"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.match(stage.stderr, /trained the full model \(no peft block\).*nothing to merge/);
  });
});

describe("QLoRA on the command line, without training", () => {
  it("the QLoRA recipes pass check; merge has --help", async () => {
    // dpo-qlora's Hub model must be in the cache to pass check offline (hub-offline.test.ts).
    hubCacheWith(ws.env.HF_HOME!, ["Qwen/Qwen2.5-7B-Instruct"]);
    for (const r of ["quickstart-dpo-qlora.yaml", "dpo-qlora.yaml"]) {
      const result = await trellis(["check", path.join(RECIPES, r)], { cwd: ws.dir, env: ws.env });
      assert.equal(result.exitCode, 0, `${r}: ${result.stderr}`);
    }
    const help = await trellis(["merge", "--help"], { cwd: ws.dir });
    assert.equal(help.exitCode, 0);
    assert.match(help.stdout, /^Usage: trellis merge/);
  });
});
