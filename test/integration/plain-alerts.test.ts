/**
 * `--plain` on a real run whose pairs are trivially separable (every chosen answer the same short
 * sentence, every rejected one the same nonsense): the health rule "loss near 0 with accuracy 1.0
 * in the first steps" fires at step 2. With stdout piped, as under nohup or Slurm, the output
 * stays plain: no JSON, no carriage returns, the alert printed when it fires and in the summary.
 * And `resume --plain` on a stopped run: the replayed stop is history, not the end.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { execa } from "execa";
import type { RunEvent } from "../../src/core/events/protocol.js";
import { followRun } from "../../src/adapters/ws-client.js";
import { BIN, eventsOf, onlyRun, readEvents, ROOT, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { longOrpoRecipe, startRun, waitFor } from "../helpers/live-run.js";

const ws = workspace("plain-alerts");

function separableRecipe(): string {
  copyFileSync(
    path.join(ROOT, "test", "fixtures", "data", "separable-pairs.jsonl"),
    path.join(ws.dir, "separable-pairs.jsonl"),
  );
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
    const fired = err.search(
      /^✗ alert dpo @\d+ loss \S+ with accuracy 1\.00 at step \d+: pairs are trivially separable/m,
    );
    const end = err.search(/^✓ run \S+ finished$/m);
    assert.ok(fired >= 0 && end > fired, `the alert, then the end:\n${err}`);
    assert.match(err.slice(end), /alerts: 1 error\n {4}✗ alert dpo @\d+ loss .* trivially separable/);

    const dir = onlyRun(runs);
    const metrics = eventsOf(readEvents(path.join(dir, "events.jsonl")), "metrics", "dpo");
    assert.ok(
      metrics.some((m) => m.step <= 20 && Number(m.metrics.loss) < 0.1 && m.metrics["rewards/accuracies"] === 1),
      "the rule's condition, for real",
    );

    // The real run's log, through a real pipe that head closes after one line.
    const head = await execa(
      "bash",
      ["-c", `set -o pipefail; node ${BIN} logs ${path.basename(dir)} --runs-dir ${runs} | head -1`],
      { env: ws.env, reject: false },
    );
    assert.equal(head.exitCode, 0, String(head.stderr));
    assert.equal(String(head.stderr), "");
    assert.match(String(head.stdout), /^\d\d:\d\d:\d\d #1 run_start /);
    const once = await trellis(["logs", path.basename(dir), "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(once.stdout.split("\n").filter((l) => / metrics step=2 /.test(l)).length, 1);
    assert.doesNotMatch(once.stdout, /\{'loss'/, "each metric once");
  });
});

describe("resume --plain", { timeout: RUN_TIMEOUT_MS }, () => {
  it("marks the replayed history, the earlier stop included, and ends with one summary", async () => {
    const runs = path.join(ws.dir, "runs-resume");
    const run = await startRun(longOrpoRecipe(ws.dir, 3), runs, ws.env);
    const seen: RunEvent[] = [];
    const follower = followRun({ url: run.url, token: run.token, onEvent: (e) => seen.push(e) });
    await waitFor(() => seen.some((e) => e.type === "metrics" && e.step >= 5), RUN_TIMEOUT_MS, "training");
    follower.send("stop");
    await follower.done;
    await run.child;
    const stop = eventsOf(seen, "stopped")[0]!;
    await waitFor(
      () =>
        readEvents(path.join(run.dir, "events.jsonl")).some((e) => e.type === "run_end") && !supervisorRuns(run.dir),
      30_000,
      "the supervisor to exit",
    );

    const id = path.basename(run.dir);
    const resumed = await trellis(["resume", id, "--plain", "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(resumed.exitCode, 0, resumed.stderr);
    const err = resumed.stderr;
    assert.match(err, new RegExp(`^history trellis run ${id}`, "m"));
    assert.match(err, new RegExp(`^history run ${id} stopped in orpo at step ${stop.step}$`, "m"));
    assert.match(err, new RegExp(`^resumed orpo from \\S+checkpoint-${stop.step}$`, "m"));
    assert.doesNotMatch(err, /^■ run /m, "the replayed stop does not read as a new one");
    assert.equal(err.match(/^✓ run \S+ finished$/gm)?.length, 1);
  });
});

/** supervisor.json exists only while the run's supervisor runs. */
function supervisorRuns(dir: string): boolean {
  return existsSync(path.join(dir, "supervisor.json"));
}
