/**
 * The reference-free preference methods from their quickstart recipes, run for real through the
 * CLI: SimPO (CPO's loss_type simpo, trellis's preset) and CPO train the tiny model on the colour
 * pairs, exit 0, and end above the start model's held-out preference accuracy. CI runs SimPO;
 * `node scripts/test-matrix.mjs methods` runs CPO too (the same CPOTrainer, another loss; each CPO
 * loss type also trains a few steps in python/tests/test_loss_family.py).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { eventsOf, onlyRun, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const FULL = process.env.TRELLIS_MATRIX === "full";
const ws = workspace("methods");

async function run(recipe: string) {
  const runs = path.join(ws.dir, `runs-${recipe}`);
  const result = await trellis(["run", path.join(RECIPES, recipe), "--runs-dir", runs, "--json"], {
    cwd: ws.dir,
    env: ws.env,
  });
  assert.equal(result.exitCode, 0, `${recipe} failed:\n${result.stderr}`);
  const dir = onlyRun(runs);
  return { dir, events: readEvents(path.join(dir, "events.jsonl")) };
}

for (const [name, recipe, script] of [
  ["SimPO", "quickstart-simpo.yaml", "stage-1-simpo"],
  ["CPO", "quickstart-cpo.yaml", "stage-1-cpo"],
] as const) {
  describe(
    `quickstart ${name}`,
    { timeout: RUN_TIMEOUT_MS, skip: name === "CPO" && !FULL && "TRELLIS_MATRIX=full only" },
    () => {
      it("exits 0 above the start model's held-out preference accuracy, logging margins and no reference", async () => {
        const { dir, events } = await run(recipe);
        const [end] = eventsOf(events, "run_end");
        assert.equal(end?.status, "finished");
        const { before, after } = end.preference!;
        assert.ok(after! > before!, `before ${before}, after ${after}`);
        assert.ok(after! >= 0.8, `after: ${after}`);
        const metrics = eventsOf(events, "metrics").at(-1)!.metrics;
        for (const key of ["loss", "rewards/margins", "rewards/accuracies", "logps/chosen"])
          assert.equal(typeof metrics[key], "number", key);
        // The rendered stage: TRL's CPOTrainer from where TRL 1.13 has it, and no reference model.
        const py = readFileSync(path.join(dir, "scripts", `${script}.py`), "utf8");
        assert.match(py, /from trl\.experimental\.cpo import CPOConfig, CPOTrainer/);
        assert.doesNotMatch(py, /ref_model/);
        const spec = JSON.parse(readFileSync(path.join(dir, "scripts", `${script}.json`), "utf8")) as {
          args: Record<string, unknown>;
        };
        if (name === "SimPO")
          assert.deepEqual(
            [spec.args.loss_type, spec.args.cpo_alpha, spec.args.beta, spec.args.simpo_gamma],
            ["simpo", 0, 2, 1],
          );
      });
    },
  );
}
