/**
 * Resume that really resumes: a run stopped with Ctrl-C, then resumed, gives the same losses and
 * the same final weights as an uninterrupted run; a run whose trainer is killed resumes from its
 * last checkpoint; a truncated checkpoint is skipped.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, truncateSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { eventsOf, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { assertNoRunProcesses, startRun, waitFor } from "../helpers/live-run.js";

const ws = workspace("resume");

/** 80 steps, a loss at every step, a checkpoint every 10 steps (the newest two kept). */
function recipe(): string {
  const text = readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8")
    .replace(/num_train_epochs: \d+/, "num_train_epochs: 2")
    .replace(/logging_steps: \d+/, "logging_steps: 1")
    .replace('save_strategy: "no"', "save_strategy: steps\n      save_steps: 10")
    .replace(/data\//g, `${path.join(RECIPES, "data")}/`);
  const file = path.join(ws.dir, "resumable.yaml");
  writeFileSync(file, text);
  return file;
}

const losses = (dir: string) => {
  const byStep = new Map<number, unknown>();
  for (const e of eventsOf(readEvents(path.join(dir, "events.jsonl")), "metrics")) byStep.set(e.step, e.metrics.loss);
  return [...byStep.entries()].sort((a, b) => a[0] - b[0]);
};
const weights = (dir: string) => readFileSync(path.join(dir, "output", "orpo", "model.safetensors"));
const metricsSteps = (dir: string) => eventsOf(readEvents(path.join(dir, "events.jsonl")), "metrics").length;

function trainerPid(runDir: string): number | undefined {
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(path.join(runDir, "scripts", "stage-1-orpo.py")))
        return Number(pid);
    } catch {
      // gone
    }
  }
  return undefined;
}

describe("resume", { timeout: RUN_TIMEOUT_MS }, () => {
  const file = recipe();
  let reference: { losses: ReturnType<typeof losses>; weights: Buffer };

  it("an uninterrupted run (the reference)", async () => {
    const run = await startRun(file, path.join(ws.dir, "runs-reference"), ws.env);
    assert.equal((await run.child).exitCode, 0);
    reference = { losses: losses(run.dir), weights: weights(run.dir) };
    assert.equal(reference.losses.length, 80);
  });

  it("Ctrl-C mid-run, then resume: the same losses and the same final weights", async () => {
    const runs = path.join(ws.dir, "runs-sigint");
    const run = await startRun(file, runs, ws.env);
    await waitFor(() => metricsSteps(run.dir) >= 25, RUN_TIMEOUT_MS, "step 25");
    run.child.kill("SIGINT");
    assert.equal((await run.child).exitCode, 130);
    const stopped = eventsOf(readEvents(path.join(run.dir, "events.jsonl")), "stopped")[0];
    assert.ok(stopped && stopped.step < 80, "stopped mid-run");
    await assertNoRunProcesses(run.dir);

    const resumed = await trellis(["resume", path.basename(run.dir), "--runs-dir", runs, "--json"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(resumed.exitCode, 0, resumed.stderr);
    const events = readEvents(path.join(run.dir, "events.jsonl"));
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
      "one numbering across the resume",
    );
    assert.match(
      eventsOf(events, "notice")
        .map((n) => n.message)
        .join("\n"),
      new RegExp(`resuming stage 'orpo' from checkpoint-${stopped.step}`),
    );
    assert.deepEqual(losses(run.dir), reference.losses);
    assert.ok(weights(run.dir).equals(reference.weights), "final weights differ from the uninterrupted run");
    assert.equal(eventsOf(events, "run_end").at(-1)?.status, "finished");
    await assertNoRunProcesses(run.dir);
  });

  it("kill -9 of the trainer: a failed run with the cause; resume skips a truncated checkpoint and continues", async () => {
    const runs = path.join(ws.dir, "runs-kill");
    const run = await startRun(file, runs, ws.env);
    await waitFor(() => metricsSteps(run.dir) >= 35, RUN_TIMEOUT_MS, "step 35");
    process.kill(trainerPid(run.dir)!, "SIGKILL");
    assert.equal((await run.child).exitCode, 1);
    const end = eventsOf(readEvents(path.join(run.dir, "events.jsonl")), "run_end")[0]!;
    assert.equal(end.status, "failed");
    assert.match(end.reason!, /killed by SIGKILL/);
    await assertNoRunProcesses(run.dir);

    // Cut the newest checkpoint short: resume must skip it for the one before.
    const out = path.join(run.dir, "output", "orpo");
    const newest = readdirSync(out)
      .filter((d) => d.startsWith("checkpoint-"))
      .sort((a, b) => Number(b.split("-")[1]) - Number(a.split("-")[1]));
    assert.ok(newest.length >= 2, `two checkpoints kept, found ${newest.join(", ")}`);
    const weightsFile = path.join(out, newest[0]!, "model.safetensors");
    truncateSync(weightsFile, Math.floor(statSync(weightsFile).size / 2));

    const resumed = await trellis(["resume", path.basename(run.dir), "--runs-dir", runs, "--json"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(resumed.exitCode, 0, resumed.stderr);
    const notices = eventsOf(readEvents(path.join(run.dir, "events.jsonl")), "notice")
      .map((n) => n.message)
      .join("\n");
    assert.match(notices, new RegExp(`skipping ${newest[0]}: model\\.safetensors is \\d+ bytes, expected \\d+`));
    assert.match(notices, new RegExp(`resuming stage 'orpo' from ${newest[1]}`));
    assert.deepEqual(losses(run.dir), reference.losses, "the steps redone after the older checkpoint match too");
    assert.ok(weights(run.dir).equals(reference.weights));
  });

  it("saves periodic checkpoints by default, keeping the newest two", async () => {
    const periodic = path.join(ws.dir, "periodic.yaml");
    // save_strategy "no", yet a checkpoint every 0.12 s of training: the time-based safety net.
    writeFileSync(
      periodic,
      readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8")
        .replace(/num_train_epochs: \d+/, "num_train_epochs: 2")
        .replace("seed: 42", "seed: 42\ncheckpoint_every_minutes: 0.002")
        .replace(/data\//g, `${path.join(RECIPES, "data")}/`),
    );
    const runs = path.join(ws.dir, "runs-periodic");
    const result = await trellis(["run", periodic, "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal(result.exitCode, 0, result.stderr);
    const dir = path.join(runs, readdirSync(runs)[0]!);
    const saved = eventsOf(readEvents(path.join(dir, "events.jsonl")), "checkpoint");
    assert.ok(saved.length >= 2, `periodic checkpoints: ${saved.length}`);
    const kept = readdirSync(path.join(dir, "output", "orpo")).filter((d) => d.startsWith("checkpoint-"));
    assert.equal(kept.length, 2, `kept: ${kept.join(", ")}`);
    for (const k of kept)
      assert.ok(readdirSync(path.join(dir, "output", "orpo", k)).includes("trellis-checkpoint.json"));
  });

  it("refuses to resume when the recipe changed, unless forced; a finished run has nothing to resume", async () => {
    const runs = path.join(ws.dir, "runs-changed");
    const run = await startRun(file, runs, ws.env);
    await waitFor(() => metricsSteps(run.dir) >= 5, RUN_TIMEOUT_MS, "step 5");
    run.child.kill("SIGINT");
    assert.equal((await run.child).exitCode, 130);
    writeFileSync(file, `${readFileSync(file, "utf8")}# edited after the run started\n`);
    const id = path.basename(run.dir);
    const refused = await trellis(["resume", id, "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(refused.exitCode, 2);
    assert.match(refused.stderr, /not resuming: the recipe .*resumable\.yaml changed since the run started.*--force/);
    const forced = await trellis(["resume", id, "--runs-dir", runs, "--force", "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal(forced.exitCode, 0, forced.stderr);
    const again = await trellis(["resume", id, "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(again.exitCode, 2);
    assert.match(again.stderr, /nothing to resume/);
  });
});
