/**
 * Imports that run: every config from the wild (/work/shared/fixtures/recipes-in-the-wild) and
 * every gathered one (test/fixtures/imports-gathered, sources in its README), imported
 * with only the tiny model put in (and the bundled colour pairs where the config's data is on the
 * Hub), then accepted by `trellis check` as imported: the importer itself carries the tracker and
 * optimizer extras, flash attention that cannot be installed, and LLaMA-Factory's sharegpt and
 * alpaca data (converted as rows are read). Each DPO/ORPO/SimPO/KTO recipe then trains a few steps on the
 * CPU; CI trains three representative ones, `node scripts/test-matrix.mjs imports` all of them
 * (test/results/imports.txt).
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { mergeOverride } from "../../src/core/interop/import/index.js";
import { eventsOf, onlyRun, readEvents, ROOT, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { HAS_WILD, WILD } from "../helpers/wild.js";
import { hubCacheWith } from "../helpers/hub-cache.js";

const ws = workspace("import-gathered");
const GATHERED = path.join(ROOT, "test", "fixtures", "imports-gathered");
const TINY_MODEL = path.join(GATHERED, "tiny-model.yaml");
const TINY_MODEL_DATA = path.join(GATHERED, "tiny-model-data.yaml");

interface Case {
  name: string;
  /** The config, from the wild or gathered. */
  file: string;
  trainer: "sft" | "dpo" | "orpo" | "simpo" | "kto";
  /** Its data is local (LLaMA-Factory's dataset_info.json): only the model is swapped. */
  ownData?: boolean;
  /** What the importer must have carried into the recipe. */
  extras?: string[];
  sdpa?: boolean;
  convert?: "sharegpt" | "alpaca";
  /** Why its training run fails for a reason outside the import: reported as a todo, still run. */
  trainsNot?: string;
}

const wild = (f: string) => path.join(WILD, f);
const gathered = (f: string) => path.join(GATHERED, f);

const CASES: Case[] = [
  // From the wild (the held-out set's sources).
  { name: "wild-trl-sft", file: wild("trl/examples_cli_configs_example_config.yaml"), trainer: "sft" },
  {
    name: "wild-handbook-sft",
    file: wild("alignment-handbook/recipes_zephyr-7b-beta_sft_config_full.yaml"),
    trainer: "sft",
    extras: ["wandb"],
  },
  {
    name: "wild-handbook-dpo",
    file: wild("alignment-handbook/recipes_zephyr-7b-beta_dpo_config_full.yaml"),
    trainer: "dpo",
  },
  {
    name: "wild-handbook-dpo-qlora",
    file: wild("alignment-handbook/recipes_zephyr-7b-beta_dpo_config_qlora.yaml"),
    trainer: "dpo",
    extras: ["bitsandbytes"],
  },
  {
    name: "wild-handbook-orpo",
    file: wild("alignment-handbook/recipes_zephyr-141b-A35b_orpo_config_full.yaml"),
    trainer: "orpo",
    extras: ["bitsandbytes", "tensorboard", "wandb"],
  },
  {
    name: "wild-axolotl-dpo-lora",
    file: wild("axolotl/examples_llama-3_instruct-dpo-lora-8b.yml"),
    trainer: "dpo",
    extras: ["bitsandbytes"],
  },
  {
    name: "wild-axolotl-orpo",
    file: wild("axolotl/examples_mistral_orpo_mistral-qlora-orpo.yml"),
    trainer: "orpo",
    extras: ["bitsandbytes"],
    sdpa: true,
  },
  { name: "wild-axolotl-dpo", file: wild("axolotl/examples_qwen2_dpo.yaml"), trainer: "dpo", extras: ["bitsandbytes"] },
  {
    name: "wild-llamafactory-dpo",
    file: wild("llama-factory/examples_train_lora_qwen3_lora_dpo.yaml"),
    trainer: "dpo",
  },
  // Gathered (test/fixtures/imports-gathered/README.md).
  {
    name: "handbook-gemma-dpo",
    file: gathered("alignment-handbook/recipes_gemma-7b_dpo_config_full.yaml"),
    trainer: "dpo",
    extras: ["tensorboard", "wandb"],
  },
  {
    name: "handbook-gemma-dpo-qlora",
    file: gathered("alignment-handbook/recipes_gemma-7b_dpo_config_qlora.yaml"),
    trainer: "dpo",
    extras: ["bitsandbytes"],
  },
  {
    name: "handbook-cai-dpo",
    file: gathered("alignment-handbook/recipes_constitutional-ai_dpo_config_anthropic.yaml"),
    trainer: "dpo",
  },
  {
    name: "handbook-scan-dpo",
    file: gathered("alignment-handbook/recipes_pref_align_scan_dpo_config_zephyr.yaml"),
    trainer: "dpo",
  },
  {
    name: "handbook-gpt2-nl-dpo",
    file: gathered("alignment-handbook/recipes_gpt2-nl_dpo_config_full.yaml"),
    trainer: "dpo",
    extras: ["wandb"],
  },
  {
    name: "handbook-capybara-orpo",
    file: gathered("alignment-handbook/recipes_mistral-capybara_orpo_config_full.yaml"),
    trainer: "orpo",
    extras: ["bitsandbytes", "tensorboard", "wandb"],
    sdpa: true,
  },
  {
    name: "axolotl-dedup-dpo",
    file: gathered("axolotl/examples_llama-3_lora-1b-deduplicate-dpo.yml"),
    trainer: "dpo",
    extras: ["bitsandbytes"],
    sdpa: true,
  },
  {
    name: "axolotl-llama3-qlora-dpo",
    file: gathered("axolotl/examples_llama-3_qlora-dpo.yml"),
    trainer: "dpo",
    extras: ["bitsandbytes"],
    sdpa: true,
  },
  {
    name: "axolotl-mistral-dpo-qlora",
    file: gathered("axolotl/examples_mistral_mistral-dpo-qlora.yml"),
    trainer: "dpo",
    extras: ["bitsandbytes"],
  },
  {
    name: "axolotl-mistral-dpo",
    file: gathered("axolotl/examples_mistral_mistral-dpo.yml"),
    trainer: "dpo",
    extras: ["bitsandbytes"],
  },
  {
    name: "llamafactory-sharegpt-dpo",
    file: gathered("llama-factory/examples_train_lora_llama3_lora_dpo.yaml"),
    trainer: "dpo",
    ownData: true,
    convert: "sharegpt",
  },
  {
    name: "llamafactory-sharegpt-dpo-gaudi",
    file: gathered("llama-factory/examples_train_lora_llama3_lora_dpo_gaudi.yaml"),
    trainer: "dpo",
    ownData: true,
    convert: "sharegpt",
  },
  {
    name: "llamafactory-alpaca-orpo",
    file: gathered("llama-factory/written_llama3_lora_orpo_alpaca.yaml"),
    trainer: "orpo",
    ownData: true,
    convert: "alpaca",
    extras: ["bitsandbytes", "wandb"],
    sdpa: true,
  },
  {
    name: "llamafactory-sharegpt-simpo",
    file: gathered("llama-factory/written_llama3_lora_simpo.yaml"),
    trainer: "simpo",
    ownData: true,
    convert: "sharegpt",
  },
  { name: "axolotl-simpo-lora", file: gathered("axolotl/written_llama-3_lora-1b-simpo.yml"), trainer: "simpo" },
  // KTO from paired data: the tiny model's colour pairs are unpaired by the kto stage.
  {
    name: "llamafactory-kto-lora",
    file: gathered("llama-factory/examples_train_lora_qwen3_lora_kto.yaml"),
    trainer: "kto",
  },
  {
    name: "axolotl-kto-qlora",
    file: gathered("axolotl/examples_llama-3_qlora-1b-kto.yaml"),
    trainer: "kto",
    extras: ["bitsandbytes"],
    sdpa: true,
  },
];

// CI trains one of each carried thing: sharegpt pairs, alpaca pairs (ORPO, extras, sdpa), a handbook QLoRA, KTO from pairs.
const CI_TRAINS = new Set([
  "llamafactory-sharegpt-dpo",
  "llamafactory-alpaca-orpo",
  "handbook-capybara-orpo",
  "llamafactory-kto-lora",
]);
const full = process.env.TRELLIS_MATRIX === "full";
const cases = CASES.filter((c) => HAS_WILD || !c.file.startsWith(WILD));

/** Imports `c` with the tiny model put in, from its own folder (LLaMA-Factory reads data/ there). */
async function importCase(c: Case): Promise<string> {
  const out = path.join(ws.dir, `${c.name}.yaml`);
  const r = await trellis(["import", c.file, "--override", c.ownData ? TINY_MODEL : TINY_MODEL_DATA, "-o", out], {
    cwd: path.dirname(c.file),
    env: ws.env,
  });
  assert.equal(r.exitCode, 0, r.stderr);
  return out;
}

describe("every imported config passes trellis check with the tiny model put in", { timeout: RUN_TIMEOUT_MS }, () => {
  for (const c of cases) {
    it(`${c.name} (${path.basename(c.file)})`, async () => {
      const file = await importCase(c);
      const recipe = parse(readFileSync(file, "utf8")) as {
        extras?: string[];
        model: { attn_implementation?: string };
        data: { convert?: { from: string } };
        stages: Array<{ trainer: string }>;
      };
      assert.equal(recipe.stages[0]!.trainer, c.trainer);
      assert.deepEqual(recipe.extras ?? [], c.extras ?? []);
      if (c.sdpa) assert.equal(recipe.model.attn_implementation, "sdpa");
      assert.equal(recipe.data.convert?.from, c.convert);
      const check = await trellis(["check", file], { cwd: ws.dir, env: ws.env });
      assert.equal(check.exitCode, 0, check.stderr);
      assert.match(check.stdout, /: ok \(/);
      if (c.convert) assert.match(check.stdout, /64 rows, conversational/);
    });
  }
});

describe("trellis check takes a foreign config as trellis run does", () => {
  it("a LLaMA-Factory config with sharegpt data: imported, converted, checked; a bad row is located", async () => {
    // The config names its Hub model as is: check needs it in the cache (the tests run offline).
    hubCacheWith(ws.env.HF_HOME!, ["meta-llama/Meta-Llama-3-8B-Instruct"]);
    const dir = path.join(GATHERED, "llama-factory");
    const ok = await trellis(["check", "examples_train_lora_llama3_lora_dpo.yaml"], { cwd: dir, env: ws.env });
    assert.equal(ok.exitCode, 0, ok.stderr);
    assert.match(ok.stdout, /a llamafactory config, checked as `trellis run` imports it/);
    assert.match(ok.stdout, /data\/dpo_en_demo\.json: 64 rows, conversational/);
    // The same config over a copy of its data with one bad turn: the row, the column, the tag.
    const copy = path.join(ws.dir, "lf");
    const rows = JSON.parse(readFileSync(path.join(dir, "data", "dpo_en_demo.json"), "utf8")) as Array<{
      conversations: Array<{ from: string }>;
    }>;
    rows[2]!.conversations[0]!.from = "bot";
    const info = readFileSync(path.join(dir, "data", "dataset_info.json"), "utf8");
    mkdirSync(path.join(copy, "data"), { recursive: true });
    writeFileSync(path.join(copy, "data", "dpo_en_demo.json"), JSON.stringify(rows, null, 1));
    writeFileSync(path.join(copy, "data", "dataset_info.json"), info);
    writeFileSync(
      path.join(copy, "dpo.yaml"),
      readFileSync(path.join(dir, "examples_train_lora_llama3_lora_dpo.yaml"), "utf8"),
    );
    const bad = await trellis(["check", "dpo.yaml"], { cwd: copy, env: ws.env });
    assert.equal(bad.exitCode, 2, bad.stdout);
    assert.match(
      bad.stderr,
      /dpo_en_demo\.json: record 3: message 1: from "bot"; expected one of human, gpt, system.* \(column 'conversations'\)/,
    );
  });
});

/** The imported recipe cut to a few CPU steps (train-short.yaml), run to the end with the real CLI. */
async function trainCase(c: Case): Promise<void> {
  const imported = parse(readFileSync(path.join(ws.dir, `${c.name}.yaml`), "utf8")) as Record<string, unknown>;
  const short = parse(readFileSync(path.join(GATHERED, "train-short.yaml"), "utf8")) as Record<string, unknown>;
  const file = path.join(ws.dir, `${c.name}.train.yaml`);
  const merged = mergeOverride(imported, short);
  // train-short.yaml drops the tracker and optimizer extras; 4-bit loading still needs bitsandbytes.
  if ((merged.model as { quantization?: unknown }).quantization) merged.extras = ["bitsandbytes"];
  writeFileSync(file, stringify(merged));
  const runs = path.join(ws.dir, `runs-${c.name}`);
  const run = await trellis(["run", file, "--json", "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
  assert.equal(run.exitCode, 0, run.stderr);
  const events = readEvents(path.join(onlyRun(runs), "events.jsonl"));
  assert.equal(eventsOf(events, "run_end")[0]?.status, "finished");
  assert.ok(eventsOf(events, "metrics").length > 0, "training logged metrics");
  if (c.convert) assert.equal(eventsOf(events, "data")[0]?.shape, "conversational");
}

// The whole matrix trains some twenty recipes, about a minute each on two cores.
describe(
  "each imported DPO/ORPO recipe trains on the CPU",
  { timeout: full ? 4 * RUN_TIMEOUT_MS : RUN_TIMEOUT_MS },
  () => {
    for (const c of cases.filter((x) => x.trainer !== "sft" && (full || CI_TRAINS.has(x.name)))) {
      it(c.name, c.trainsNot ? { todo: c.trainsNot } : {}, async () => {
        await importCase(c);
        await trainCase(c);
      });
    }
  },
);
