/** Bad recipes and data fail before any Python starts; failures inside Python become error events. */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { eventsOf, onlyRun, readEvents, RECIPES, RUN_TIMEOUT_MS, runDirs, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("bad-input");
const quickstart = readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8");
mkdirSync(path.join(ws.dir, "data"));
for (const f of ["colors-train.jsonl", "colors-eval.jsonl"])
  copyFileSync(path.join(RECIPES, "data", f), path.join(ws.dir, "data", f));

function recipe(name: string, text: string): string {
  const file = path.join(ws.dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

async function runFails(name: string, text: string, expected: RegExp) {
  assert.notEqual(text, quickstart, "the test must change the recipe");
  const runs = path.join(ws.dir, `runs-${name}`);
  // A python that cannot start: any attempt to start Python would change the error.
  const result = await trellis(["run", recipe(name, text), "--runs-dir", runs, "--python", "/nonexistent/python3"], {
    cwd: ws.dir,
    env: ws.env,
  });
  assert.equal(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, expected);
  assert.equal(result.stderr.trim().split("\n").length >= 1, true);
  assert.deepEqual(runDirs(runs), [], "no run directory is left behind");
}

describe("bad input is reported before any Python starts", () => {
  it("unknown TRL field: file:line:col and a suggestion", () =>
    runFails(
      "typo",
      quickstart.replace("learning_rate:", "learnig_rate:"),
      /^typo\.yaml:\d+:7: stages\[0\]\.args\.learnig_rate: unknown ORPOConfig field in TRL 1\.13\.0; did you mean 'learning_rate'\?$/m,
    ));
  it("wrong type names the field and the expected type", () =>
    runFails(
      "type",
      quickstart.replace(/num_train_epochs: \d+/, "num_train_epochs: two"),
      /stages\[0\]\.args\.num_train_epochs: must be a number \(got "two"\)/,
    ));
  it("a missing data file", () =>
    runFails(
      "missing-file",
      quickstart.replace("data/colors-train.jsonl", "data/nope.jsonl"),
      /data\/nope\.jsonl: data file not found/,
    ));
  it("a data file without a needed column names the column and the columns found", () => {
    writeFileSync(path.join(ws.dir, "data", "no-rejected.jsonl"), '{"prompt": "p", "chosen": "c", "answer_b": "r"}\n');
    return runFails(
      "no-column",
      quickstart.replace("data/colors-train.jsonl", "data/no-rejected.jsonl"),
      /no-rejected\.jsonl: stage 'orpo': the orpo trainer needs column 'rejected'; found: prompt, chosen, answer_b/,
    );
  });
  it("a column mapping to a column that is not there", () =>
    runFails(
      "bad-mapping",
      quickstart.replace("  eval: data/colors-eval.jsonl", "  eval: data/colors-eval.jsonl\n  columns: {chosen: good}"),
      /data\.columns maps chosen to column 'good', which is not in the file \(found: prompt, chosen, rejected\)/,
    ));
  it("a stage starting from an unknown stage", () =>
    runFails(
      "bad-from",
      quickstart.replace("trainer: orpo", "trainer: orpo\n    from: sft"),
      /stages\[0\]\.from: no stage has id 'sft'/,
    ));
  it("a recipe file that does not exist", async () => {
    const result = await trellis(["run", "nope.yaml"], { cwd: ws.dir, env: ws.env });
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /^nope\.yaml: recipe file not found$/m);
  });
});

describe("a failure inside Python", { timeout: RUN_TIMEOUT_MS }, () => {
  it("becomes an error event naming the exception, and a non-zero exit", async () => {
    // A model folder whose config names an architecture transformers does not know: check finds
    // the folder; only loading it in Python fails.
    const runs = path.join(ws.dir, "runs-no-model");
    mkdirSync(path.join(ws.dir, "unknown-model"), { recursive: true });
    writeFileSync(path.join(ws.dir, "unknown-model", "config.json"), '{"model_type": "no-such-architecture"}\n');
    const text = quickstart.replace(/ {2}tiny:\n(?: {4}.*\n)+/, "  name: ./unknown-model\n");
    const result = await trellis(["run", recipe("no-model", text), "--runs-dir", runs, "--json"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(result.exitCode, 1, result.stderr);
    const events = readEvents(path.join(onlyRun(runs), "events.jsonl"));
    const [error] = eventsOf(events, "error");
    assert.ok(error, "an error event");
    assert.match(error.exc_type, /Error$/);
    assert.match(error.message, /tokenizer|no-such-architecture/); // what transformers loads first fails
    const [end] = eventsOf(events, "run_end");
    assert.equal(end?.status, "failed");
    assert.match(end.reason!, new RegExp(`stage 'orpo' failed: ${error.exc_type.replace(/\./g, "\\.")}`));
    assert.match(result.stderr, /stage 'orpo' failed: /);
    assert.ok(existsSync(path.join(onlyRun(runs), "logs", "orpo.stderr.log")));
  });
});
