/**
 * `--plain` on a real run whose pairs are trivially separable (every chosen answer the same short
 * sentence, every rejected one the same nonsense): the health rule "loss near 0 with accuracy 1.0
 * in the first steps" fires at step 2. With stdout piped, as under nohup or Slurm, the output
 * stays plain: no JSON, no carriage returns, the alert printed when it fires and in the summary.
 */
import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { execa } from "execa";
import { BIN, eventsOf, onlyRun, readEvents, ROOT, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("plain-alerts");

function separableRecipe(): string {
  copyFileSync(path.join(ROOT, "test", "fixtures", "data", "separable-pairs.jsonl"), path.join(ws.dir, "separable-pairs.jsonl"));
  const file = path.join(ws.dir, "separable.yaml");
  writeFileSync(
    file,
    `name: separable-pairs
seed: 42
model:
  tiny: {hidden_size: 64, num_layers: 2, num_heads: 4, vocab_size: 320}
  dtype: float32
data:
  train: separable-pairs.jsonl
stages:
  - id: dpo
    trainer: dpo
    args: {per_device_train_batch_size: 8, learning_rate: 1.0e-2, num_train_epochs: 2, beta: 1.0, gradient_checkpointing: false, logging_steps: 1, save_strategy: "no", max_length: 64}
`,
  );
  return file;
}

describe("--plain on a run with trivially separable pairs", { timeout: RUN_TIMEOUT_MS }, () => {
  const runs = path.join(ws.dir, "runs");

  it("stays plain when piped and prints the alert as it fires and in the summary", async () => {
    const run = await trellis(["run", separableRecipe(), "--plain", "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(run.stdout, "", "nothing on stdout: no JSON lines");
    const err = run.stderr;
    assert.doesNotMatch(err, /[\r\u001b]|^\{"type"/m, "no carriage returns, colour codes or JSON");
    assert.match(err, /^notice no eval data: held-out preference accuracy is not measured/m);
    assert.match(err, /^ {2}dpo: model$/m, "phases as they happen");
    const fired = err.search(/^✗ alert dpo @\d+ loss \S+ with accuracy 1\.00 at step \d+: pairs are trivially separable/m);
    const end = err.search(/^✓ run \S+ finished$/m);
    assert.ok(fired >= 0 && end > fired, `the alert, then the end:\n${err}`);
    assert.match(err.slice(end), /alerts: 1 error\n {4}✗ alert dpo @\d+ loss .* trivially separable/);

    const dir = onlyRun(runs);
    const metrics = eventsOf(readEvents(path.join(dir, "events.jsonl")), "metrics", "dpo");
    assert.ok(metrics.some((m) => m.step <= 20 && Number(m.metrics.loss) < 0.1 && m.metrics["rewards/accuracies"] === 1), "the rule's condition, for real");

    // The real run's log, through a real pipe that head closes after one line.
    const head = await execa("bash", ["-c", `set -o pipefail; node ${BIN} logs ${path.basename(dir)} --runs-dir ${runs} | head -1`], { env: ws.env, reject: false });
    assert.equal(head.exitCode, 0, String(head.stderr));
    assert.equal(String(head.stderr), "");
    assert.match(String(head.stdout), /^\d\d:\d\d:\d\d #1 run_start /);
    const once = await trellis(["logs", path.basename(dir), "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(once.stdout.split("\n").filter((l) => / metrics step=2 /.test(l)).length, 1);
    assert.doesNotMatch(once.stdout, /\{'loss'/, "each metric once");
  });
});
