/**
 * `trellis check` is the whole gate: what would fail in a run's first minutes fails here, and in
 * `trellis run` before any Python starts (a python that cannot start proves it: trying it would
 * change the error), each problem on one located line.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { RECIPES, runDirs, trellis, workspace } from "../helpers/cli.js";
import { fakeModel } from "../helpers/fake-model.js";

const ws = workspace("check-gate");
const quickstart = readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8");
const COLORS_TRAIN = path.join(RECIPES, "data", "colors-train.jsonl");
const goodLines = readFileSync(COLORS_TRAIN, "utf8").trimEnd().split("\n");
const SHAPES = path.join(RECIPES, "data", "shapes");

function write(name: string, text: string): string {
  const file = path.join(ws.dir, name);
  writeFileSync(file, text);
  return file;
}

/** The quickstart on other train data; the tokenizer still learns from the bundled data. */
function recipeWith(name: string, train: string, edit: (text: string) => string = (t) => t): string {
  const text = quickstart
    .replace("data/colors-train.jsonl", JSON.stringify(train))
    .replace("data/colors-eval.jsonl", JSON.stringify(path.join(RECIPES, "data", "colors-eval.jsonl")))
    .replace(/( {4}vocab_size: \d+\n)/, `$1    data: [${JSON.stringify(COLORS_TRAIN)}]\n`);
  return write(`${name}.yaml`, edit(text));
}

/** `check` and `run` both refuse with exit 2, the run before any Python, leaving no run directory. */
/** What the last refused check printed on stderr. */
let lastOutput = "";

async function refused(name: string, recipe: string, expected: RegExp): Promise<void> {
  const check = await trellis(["check", recipe], { cwd: ws.dir, env: ws.env });
  assert.equal(check.exitCode, 2, check.stderr);
  assert.match(check.stderr, expected);
  const runs = path.join(ws.dir, `runs-${name}`);
  const run = await trellis(["run", recipe, "--runs-dir", runs, "--python", "/nonexistent/python3"], {
    cwd: ws.dir,
    env: ws.env,
  });
  assert.equal(run.exitCode, 2, run.stderr);
  assert.match(run.stderr, expected);
  assert.deepEqual(runDirs(runs), [], "no run directory");
  lastOutput = check.stderr;
}

const lines = (replace: Record<number, string>) => `${goodLines.map((l, i) => replace[i + 1] ?? l).join("\n")}\n`;

describe("check catches what would fail later", () => {
  it("a mapped column that is absent, with did you mean, even when implicit-prompt pairs would fit", () => {
    const rows = goodLines.map((l) => {
      const r = JSON.parse(l) as Record<string, string>;
      return JSON.stringify({ question: r.prompt, chosen: r.chosen, rejected: r.rejected });
    });
    const data = write("question.jsonl", `${rows.join("\n")}\n`);
    return refused(
      "mapped",
      recipeWith("mapped", data, (t) => t.replace("  eval:", "  columns: {prompt: questoin}\n  eval:")),
      /question\.jsonl: stage 'orpo': data\.columns maps prompt to column 'questoin', which is not in the file; did you mean 'question'\? \(found: question, chosen, rejected\)/,
    );
  });
  it("JSON that breaks on line 20 (every row is read, not the first)", () =>
    refused(
      "json20",
      recipeWith("json20", write("json20.jsonl", lines({ 20: '{"prompt": "Q", "chosen" " a", "rejected": " b"}' }))),
      /json20\.jsonl:20:26: not valid JSON: /,
    ));
  it("value types, roles, empty values, and chosen identical to rejected, each located", async () => {
    const data = write(
      "values.jsonl",
      lines({
        3: '{"prompt": "Q", "chosen": 7, "rejected": " b"}',
        5: '{"prompt": "Q", "chosen": "", "rejected": " b"}',
        8: '{"prompt": "Q", "chosen": " same", "rejected": " same"}',
        9: '{"prompt": "Q", "chosen": [{"role": "assistant", "content": "a"}], "rejected": " b"}',
      }),
    );
    await refused(
      "values",
      recipeWith("values", data),
      /values\.jsonl:3:17: a number \(7\); expected text or a list of chat messages/,
    );
    const out = lastOutput;
    assert.match(out, /values\.jsonl:5:17: empty text \(column 'chosen'\)/);
    assert.match(out, /values\.jsonl:8:17: chosen and rejected are identical: the pair teaches nothing/);
    assert.match(out, /values\.jsonl:9:17: chat messages, where the first row has text/);
    const roles = write(
      "roles.jsonl",
      readFileSync(path.join(SHAPES, "conversational-train.jsonl"), "utf8").replace(
        '"role": "assistant"',
        '"role": "bot"',
      ),
    );
    await refused(
      "roles",
      recipeWith("roles", roles),
      /roles\.jsonl:1:\d+: message 1: role "bot"; expected one of system, user, assistant, tool \(column 'chosen'\)/,
    );
  });
  it("up to 20 problems are listed and the rest counted", async () => {
    const bad: Record<number, string> = {};
    for (let n = 1; n <= 30; n++) bad[n * 2] = "{not json";
    await refused(
      "many",
      recipeWith("many", write("many.jsonl", lines(bad))),
      /many\.jsonl: 10 more problems not shown/,
    );
    assert.equal(lastOutput.split("\n").filter((l) => /many\.jsonl:\d+:\d+: not valid JSON/.test(l)).length, 20);
  });
  it("a LoRA target module that the model does not have", () =>
    refused(
      "lora",
      recipeWith("lora", COLORS_TRAIN, (t) =>
        t.replace(
          "  - id: orpo\n    trainer: orpo\n",
          "  - id: orpo\n    trainer: orpo\n    peft:\n      target_modules: [q_proj, v_prj]\n",
        ),
      ),
      /lora\.yaml:\d+:\d+: stages\[0\]\.peft\.target_modules\[1\]: no module of the model is named 'v_prj'; did you mean 'v_proj'\? \(linear modules: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head\)/,
    ));
  it("chat data and a tokenizer without a chat template", () => {
    const model = fakeModel(path.join(ws.dir, "no-template-model"), false);
    const recipe = recipeWith("template", path.join(SHAPES, "prompt-in-answers-train.jsonl"), (t) =>
      t.replace(/ {2}tiny:\n(?: {4}.*\n)+/, `  name: ${JSON.stringify(model)}\n`),
    );
    return refused(
      "template",
      recipe,
      /template\.yaml:\d+:\d+: model: .*prompt-in-answers-train\.jsonl holds chat messages, but the tokenizer in .*no-template-model has no chat template: set model\.chat_template/,
    );
  });
  it("too little free space for what the run saves, with the numbers", async (t) => {
    const small = path.join(ws.dir, "small-disk");
    mkdirSync(small);
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", small], { stdio: "ignore" });
    } catch {
      t.skip(
        "mounting a small tmpfs needs root: the disk check is tested on its arithmetic only (test/core/recipe/model-checks.test.ts)",
      );
      return;
    }
    after(() => execFileSync("umount", [small]));
    const recipe = recipeWith("disk", COLORS_TRAIN, (text) =>
      text.replace("seed: 42", `seed: 42\noutput_dir: ${JSON.stringify(small)}`),
    );
    await refused(
      "disk",
      recipe,
      /not enough room for what the run saves: about 2\.9 MB \(orpo: model 411 KB \+ 2 checkpoints of 1\.2 MB\) under .*small-disk, which has 524 KB free/,
    );
  });
});

describe("check --json", () => {
  it("prints the data's shapes and the model facts as one document", async () => {
    const result = await trellis(["check", path.join(RECIPES, "quickstart-orpo.yaml"), "--json"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(result.exitCode, 0, result.stderr);
    const doc = JSON.parse(result.stdout) as {
      ok: boolean;
      data: Array<{ file: string; rows: number; shape: string }>;
      model: { read_from: string };
      disk: { need: number };
    };
    assert.equal(doc.ok, true);
    assert.deepEqual(
      doc.data.map((d) => [path.basename(d.file), d.rows, d.shape]),
      [
        ["colors-train.jsonl", 320, "text"],
        ["colors-eval.jsonl", 80, "text"],
      ],
    );
    assert.equal(doc.model.read_from, "tiny");
    assert.ok(doc.disk.need > 0);
  });
  it("prints errors as one document too, with the exit code", async () => {
    const recipe = recipeWith("json-error", write("json-error.jsonl", lines({ 4: "{oops" })));
    const result = await trellis(["check", recipe, "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal(result.exitCode, 2);
    const doc = JSON.parse(result.stdout) as { ok: boolean; exit_code: number; problems: Array<{ message: string }> };
    assert.equal(doc.ok, false);
    assert.equal(doc.exit_code, 2);
    assert.match(doc.problems[0]!.message, /json-error\.jsonl:4:2: not valid JSON/);
  });
});
