/**
 * A run that builds its tiny model itself (the first run on a machine) reproduces exactly. The
 * build used to reseed the global RNG mid-stage, so LoRA's initial weights differed from those
 * of any later run, which found the model already cached: the first grad_norm differed.
 */
import assert from "node:assert/strict";
import { appendFileSync, cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { eventsOf, onlyRun, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("cold-cache");

describe("reproduce after a cold model cache", { timeout: RUN_TIMEOUT_MS }, () => {
  it("the first run (model built during the run) and its reproduction give identical metrics", async () => {
    cpSync(path.join(RECIPES, "data"), path.join(ws.dir, "data"), { recursive: true });
    // The tiny model's cache key hashes the data bytes: a run id in a trailing blank line makes
    // a key no earlier run has used, so this run builds the model itself. Blank lines are no rows.
    appendFileSync(path.join(ws.dir, "data", "colors-train.jsonl"), `\n${" ".repeat(1 + (process.pid % 97))}\n`);
    const recipe = path.join(ws.dir, "recipe.yaml");
    writeFileSync(
      recipe,
      readFileSync(path.join(RECIPES, "quickstart-dpo-lora.yaml"), "utf8")
        .replace(/num_train_epochs: \d+/, "num_train_epochs: 1")
        .replace("      max_length: 64", "      max_length: 64\n      full_determinism: true"),
    );
    const runs = path.join(ws.dir, "runs");
    const run = await trellis(["run", recipe, "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal(run.exitCode, 0, run.stderr);
    const original = onlyRun(runs);
    assert.ok(eventsOf(readEvents(path.join(original, "events.jsonl")), "metrics").length > 0);

    const again = await trellis(["reproduce", path.basename(original), "--runs-dir", runs, "--json"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(again.exitCode, 0, again.stderr);
    const report = JSON.parse(again.stdout) as { identical: boolean; values: number };
    assert.equal(report.identical, true, again.stderr);
  });
});
