/**
 * Recipe strings reach Python only as data. A recipe full of code-injection strings renders,
 * runs, and never executes them.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("hostile");
const marker = path.join(ws.dir, "pwned");
const payloads = [
  `"""; import os; os.system("touch ${marker}") #`,
  `'''; import os; os.system('touch ${marker}') #`,
  `\\"; __import__("os").system("touch ${marker}"); #`,
  `{{ cycler.__init__.__globals__.os.system("touch ${marker}") }}`,
  `$(touch ${marker})`,
];
const hostile = payloads.join(" ");
const y = (s: string) => JSON.stringify(s); // a YAML double-quoted string

describe("hostile strings in every string field stay inert", { timeout: RUN_TIMEOUT_MS }, () => {
  // Data whose column names are themselves hostile, mapped by the recipe.
  mkdirSync(path.join(ws.dir, "data"));
  const rows = readFileSync(path.join(RECIPES, "data", "colors-train.jsonl"), "utf8")
    .trim()
    .split("\n")
    .slice(0, 32);
  writeFileSync(
    path.join(ws.dir, "data", "pairs.jsonl"),
    rows
      .map((l) => {
        const r = JSON.parse(l) as Record<string, string>;
        return JSON.stringify({ [`p ${hostile}`]: r.prompt, [`c ${hostile}`]: r.chosen, [`r ${hostile}`]: r.rejected });
      })
      .join("\n") + "\n",
  );
  const recipe = `name: hostile
description: ${y(hostile)}
seed: 1
model:
  tiny: {hidden_size: 32, num_layers: 1, num_heads: 2, vocab_size: 128, data: [data/pairs.jsonl]}
  dtype: float32
  chat_template: ${y(`{% for m in messages %}${hostile}{{ m.content }}{% endfor %}`)}
data:
  train: data/pairs.jsonl
  columns: {prompt: ${y(`p ${hostile}`)}, chosen: ${y(`c ${hostile}`)}, rejected: ${y(`r ${hostile}`)}}
stages:
  - id: orpo
    trainer: orpo
    args:
      max_steps: 2
      per_device_train_batch_size: 4
      logging_steps: 1
      save_strategy: "no"
      gradient_checkpointing: false
      run_name: ${y(hostile)}
      hub_model_id: ${y(hostile)}
`;
  const file = path.join(ws.dir, "hostile.yaml");
  writeFileSync(file, recipe);

  it("renders scripts that do not contain the recipe's strings", async () => {
    const out = path.join(ws.dir, "rendered");
    const result = await trellis(["render", file, "--out", out], { cwd: ws.dir, env: ws.env });
    assert.equal(result.exitCode, 0, result.stderr);
    const script = readFileSync(path.join(out, "stage-1-orpo.py"), "utf8");
    for (const p of payloads) assert.ok(!script.includes(p), "a recipe string reached the script's code");
    const spec = JSON.parse(readFileSync(path.join(out, "stage-1-orpo.json"), "utf8")) as {
      args: { run_name: string };
    };
    assert.equal(spec.args.run_name, hostile, "the value travels intact, as data");
  });

  it("runs, and the marker file is never created", async () => {
    const runs = path.join(ws.dir, "runs");
    const result = await trellis(["run", file, "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.ok(!existsSync(marker), "an injected command ran");
    assert.equal(readdirSync(ws.dir).filter((f) => f.startsWith("pwned")).length, 0);
  });

  it("a hostile model name is refused at model.name before any Python (no such folder), still inert", async () => {
    const runs = path.join(ws.dir, "runs-model");
    const bad = recipe.replace(/ {2}tiny: .*\n/, `  name: ${y(hostile)}\n  revision: ${y(hostile)}\n`);
    writeFileSync(path.join(ws.dir, "hostile-model.yaml"), bad);
    const result = await trellis(["run", path.join(ws.dir, "hostile-model.yaml"), "--runs-dir", runs, "--json"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(result.stdout + result.stderr, /model\.name: no folder '/);
    assert.ok(!existsSync(marker), "an injected command ran");
  });
});
