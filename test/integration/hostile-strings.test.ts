/**
 * Recipe strings reach Python only as data. A recipe full of code-injection strings renders,
 * runs, and never executes them; one full of terminal escape sequences is shown escaped.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { BIN, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { terminal } from "../helpers/tmux.js";

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

/**
 * Escape sequences in a recipe or data string (a terminal title set, a screen clear, a bell) are
 * shown escaped by every view, never sent to the terminal: one sanitiser (src/core/text/sanitise.ts).
 */
describe("escape sequences in recipe and data strings never reach the terminal", { timeout: RUN_TIMEOUT_MS }, () => {
  const ESCAPES = "\u001b]0;pwned\u0007\u001b[2J\u001b[H\u0007";
  const SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[H\\x07";
  const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
  const tws = workspace("escapes");
  const runs = path.join(tws.dir, "runs");
  const term = terminal(tws.dir, tws.env);
  after(() => term.close());
  const assertNoRaw = (text: string, where: string) =>
    assert.ok(!RAW.test(text), `a raw control character reached the terminal in ${where}: ${JSON.stringify(text)}`);
  const rows = readFileSync(path.join(RECIPES, "data", "colors-train.jsonl"), "utf8")
    .trim()
    .split("\n")
    .slice(0, 8);
  // The prompt column is named with the escapes in the data and in the recipe; row 3 has none.
  const column = `q${ESCAPES}`;
  writeFileSync(
    path.join(tws.dir, "pairs.jsonl"),
    rows
      .map((l, i) => {
        const { prompt, chosen, rejected } = JSON.parse(l) as Record<string, string>;
        return JSON.stringify(i === 2 ? { other: prompt, chosen, rejected } : { [column]: prompt, chosen, rejected });
      })
      .join("\n") + "\n",
  );
  const recipe = (model: string, columns: string) => `name: escapes
model:
  name: ${y(model)}
  dtype: float32
data:
  train: pairs.jsonl
${columns}stages:
  - id: orpo
    trainer: orpo
    args: {max_steps: 2, per_device_train_batch_size: 2, logging_steps: 1, save_strategy: "no", gradient_checkpointing: false}
`;
  // A model folder named with the escapes: check finds it (a Hub name this machine cannot download
  // is refused before any Python); loading its config in Python fails, naming the folder.
  const model = `./m${ESCAPES}`;
  mkdirSync(path.join(tws.dir, model), { recursive: true });
  writeFileSync(path.join(tws.dir, model, "config.json"), "not json{");
  writeFileSync(path.join(tws.dir, "model.yaml"), recipe(model, `  columns: {prompt: ${y(column)}}\n`));
  const cli = async (args: string[]) => {
    const r = await trellis(args, { cwd: tws.dir, env: tws.env });
    assertNoRaw(r.stdout + r.stderr, `trellis ${args[0]}`);
    return r;
  };

  it("check: the model name and a data column are shown escaped", async () => {
    // Rows 1-2 and 4-8 name the prompt column with the escapes; row 3 misses it.
    const failing = await cli(["check", "model.yaml"]);
    assert.equal(failing.exitCode, 2, failing.stderr);
    assert.ok(failing.stderr.includes(`q${SHOWN}`), failing.stderr);
    writeFileSync(
      path.join(tws.dir, "pairs.jsonl"),
      rows.map((l) => JSON.stringify({ ...(JSON.parse(l) as object), note: ESCAPES })).join("\n") + "\n",
    );
    writeFileSync(path.join(tws.dir, "model.yaml"), recipe(model, ""));
    const ok = await cli(["check", "model.yaml"]);
    assert.equal(ok.exitCode, 0, ok.stderr);
    const json = await cli(["check", "model.yaml", "--json"]);
    assert.equal((JSON.parse(json.stdout) as { recipe: { model: { name: string } } }).recipe.model.name, model);
  });

  it("a failing run --plain, attach --summary, ls, logs and the dashboard show them escaped", async () => {
    const run = await cli(["run", "model.yaml", "--runs-dir", runs, "--plain"]);
    assert.equal(run.exitCode, 1, run.stderr);
    assert.ok(run.stderr.includes(`m${SHOWN}`), `the failure line: ${run.stderr}`);
    const id = path.basename(readdirSync(runs).map((d) => path.join(runs, d))[0]!);
    const events = readFileSync(path.join(runs, id, "events.jsonl"), "utf8");
    assert.ok(events.includes("\\u001b]0;pwned"), "the escapes are in the events as they are (as data)");

    const summary = await cli(["attach", id, "--runs-dir", runs, "--summary"]);
    assert.ok(summary.stdout.includes(`m${SHOWN}`), summary.stdout);
    const ls = await cli(["ls", "--runs-dir", runs]);
    assert.match(ls.stdout, /failed in orpo/);
    const logs = await cli(["logs", id, "--runs-dir", runs]);
    assert.ok(logs.stdout.includes(`m${SHOWN}`), logs.stdout);
    const json = await cli(["logs", id, "--runs-dir", runs, "--json"]);
    assert.ok(json.stdout.includes("m\\u001b]0;pwned"), "JSON keeps the value, escaped as JSON");
    await cli(["ls", "--runs-dir", runs, "--json"]);

    // The dashboard (Ink) on a real terminal: the escapes are visible text, so the terminal obeyed none.
    await term.start("review", { columns: 200, rows: 50 }, `node ${BIN} attach ${id} --runs-dir ${runs}`);
    const shown = await term.waitForScreen(
      "review",
      (s) => /review/.test(s) && s.includes("\\x1b]0;pwned"),
      "the review",
    );
    assert.match(shown, /failed/);
    await term.keys("review", "q");
    const end = await term.waitForScreen("review", (s) => /EXIT=\d+/.test(s), "the review to end", 60_000, true);
    assert.ok(end.includes(`m${SHOWN}`), end);
  });
});
