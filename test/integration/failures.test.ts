/**
 * A failure inside Python ends with its diagnosis: one line naming the cause and the fix, on
 * stderr and in run_end.reason. Real runs of the tiny quickstart recipe, made to fail.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { RunEvent } from "../../src/core/events/protocol.js";
import { eventsOf, onlyRun, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("failures");
after(() => rmSync(ws.dir, { recursive: true, force: true }));

const COLORS_TRAIN = path.join(RECIPES, "data", "colors-train.jsonl");
const COLORS_EVAL = path.join(RECIPES, "data", "colors-eval.jsonl");
const quickstart = readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8");

/** The quickstart with its own train file; the tiny model's tokenizer still learns from the bundled data (and is cached). */
function recipe(name: string, o: { train?: string | { hub: string }; model?: string }): string {
  let text = quickstart
    .replace("data/colors-train.jsonl", JSON.stringify(o.train ?? COLORS_TRAIN))
    .replace("data/colors-eval.jsonl", JSON.stringify(COLORS_EVAL))
    .replace(/( {4}vocab_size: \d+\n)/, `$1    data: [${JSON.stringify(COLORS_TRAIN)}]\n`)
    .replace(/( {6}logging_steps: \d+\n)/, "$1      max_steps: 4\n");
  if (o.model) text = text.replace(/ {2}tiny:\n(?: {4}.*\n)+/, `  name: ${JSON.stringify(o.model)}\n`);
  const file = path.join(ws.dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

async function failingRun(name: string, recipeFile: string, env: Record<string, string> = ws.env) {
  const runs = path.join(ws.dir, `runs-${name}`);
  const result = await trellis(["run", recipeFile, "--runs-dir", runs, "--json"], { cwd: ws.dir, env });
  assert.equal(result.exitCode, 1, result.stderr);
  const events = readEvents(path.join(onlyRun(runs), "events.jsonl"));
  const end = events.at(-1) as Extract<RunEvent, { type: "run_end" }>;
  assert.equal(end.type, "run_end", "events.jsonl ends with run_end");
  assert.equal(end.status, "failed");
  assert.ok(end.reason, "run_end has a reason");
  assert.ok(result.stderr.includes(end.reason), `stderr shows the reason:\n${result.stderr}`);
  assert.equal(end.reason.split("\n").length, 1, "one line");
  assert.equal(eventsOf(events, "stage_end")[0]?.reason, end.reason);
  return { events, reason: end.reason };
}

describe("failures inside Python are diagnosed", { timeout: RUN_TIMEOUT_MS }, () => {
  it("a needed column that is null in some rows of a dataset folder: the row and column, the cause and the fix", async () => {
    // A local dataset folder is loaded as a Hub dataset would be: only the stage reads it, so
    // this is the runtime's own check (local files are refused before Python, check-gate.test).
    const lines = readFileSync(COLORS_TRAIN, "utf8").split("\n");
    lines[6] = JSON.stringify({ ...(JSON.parse(lines[6]!) as object), chosen: null });
    const folder = path.join(ws.dir, "holes");
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, "train.jsonl"), lines.join("\n"));

    const { events, reason } = await failingRun("null-column", recipe("null-column", { train: { hub: folder } }));
    assert.match(
      reason,
      /^stage 'orpo' failed: trellis_runtime\.data\.DataError: .*holes split train: row 7 of the data, column 'chosen': no value \(null, or the key is missing\).* — the data does not fit the stage's trainer\. Fix: .*data\.columns/,
    );
    // Found before the model was loaded: nothing trained.
    assert.deepEqual(eventsOf(events, "train_begin"), []);
    assert.match(eventsOf(events, "error")[0]!.traceback ?? "", /load_datasets/);
    assert.doesNotMatch(eventsOf(events, "error")[0]!.traceback ?? "", /load_model/);
  });

  it("a model folder that does not exist: refused before any Python, at model.name (hub-offline.test.ts has the Hub cases)", async () => {
    const runs = path.join(ws.dir, "runs-offline-model");
    const result = await trellis(
      ["run", recipe("offline-model", { model: "./no-such-model" }), "--runs-dir", runs, "--json"],
      { cwd: ws.dir, env: { ...ws.env, HF_HUB_OFFLINE: "1" } },
    );
    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(result.stdout + result.stderr, /model\.name: no folder '\.\/no-such-model' here/);
  });
});
