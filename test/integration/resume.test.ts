/**
 * Resume that really resumes: a run stopped with Ctrl-C, then resumed, gives the same losses and
 * the same final weights as an uninterrupted run, and `trellis reproduce` finds it identical (DPO
 * with LoRA dropout stopped mid-stage, and SFT then DPO stopped between the stages); a run whose
 * trainer is killed resumes from its last checkpoint; a truncated checkpoint is skipped.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, truncateSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { eventsOf, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { assertNoRunProcesses, startRun, waitFor } from "../helpers/live-run.js";
import type { RunEvent } from "../../src/core/events/protocol.js";
import type { Comparison } from "../../src/app/reproduce.js";

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

/** Stops a run with Ctrl-C once `ready` holds for its events, resumes it, and reproduces it. */
async function stopResumeReproduce(recipeFile: string, runs: string, ready: (events: RunEvent[]) => boolean) {
  const run = await startRun(recipeFile, runs, ws.env);
  const eventsFile = path.join(run.dir, "events.jsonl");
  await waitFor(() => ready(readEvents(eventsFile)), RUN_TIMEOUT_MS, "the moment to stop");
  run.child.kill("SIGINT");
  assert.equal((await run.child).exitCode, 130);
  assert.equal(eventsOf(readEvents(eventsFile), "run_end")[0]?.status, "stopped");
  await assertNoRunProcesses(run.dir);
  const id = path.basename(run.dir);
  const resumed = await trellis(["resume", id, "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
  assert.equal(resumed.exitCode, 0, resumed.stderr);
  const reproduced = await trellis(["reproduce", id, "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
  assert.equal(reproduced.exitCode, 0, reproduced.stderr);
  return { dir: run.dir, events: readEvents(eventsFile), report: JSON.parse(reproduced.stdout) as Comparison };
}

/** LoRA with dropout 0.1 (the dropout masks come from the RNG the checkpoint restores). */
function dpoLoraRecipe(name: string, base: string, dpoArgs: Record<string, string>): string {
  let text = readFileSync(path.join(RECIPES, base), "utf8")
    .replace(/num_train_epochs: \d+/g, "num_train_epochs: 1")
    .replace(/data\//g, `${path.join(RECIPES, "data")}/`);
  const dpo = text.indexOf("trainer: dpo");
  let tail = text.slice(dpo);
  for (const [key, value] of Object.entries(dpoArgs)) tail = tail.replace(new RegExp(`${key}: .*`), `${key}: ${value}`);
  text = text.slice(0, dpo) + tail;
  if (!text.includes("lora_dropout"))
    text += "    peft:\n      r: 8\n      lora_alpha: 16\n      lora_dropout: 0.0\n      target_modules: all-linear\n";
  const file = path.join(ws.dir, `${name}.yaml`);
  writeFileSync(file, text.replace("lora_dropout: 0.0", "lora_dropout: 0.1"));
  return file;
}

const lastNumTokens = (events: RunEvent[], stage: string) =>
  eventsOf(events, "metrics", stage).at(-1)?.metrics.num_tokens;

describe(
  "a resumed run is the run it would have been: trellis reproduce finds it identical",
  { timeout: RUN_TIMEOUT_MS },
  () => {
    it("DPO with LoRA dropout, stopped mid-stage after a checkpoint and between logged steps", async () => {
      // 40 steps, a loss every 5, a checkpoint every 5. Stopped once step 10 is logged, the stop
      // lands a step or two later: between two logs, so the first log after the resume averages
      // steps from both segments, and num_tokens goes on from the checkpoint.
      const file = dpoLoraRecipe("dpo-lora-dropout", "quickstart-dpo-lora.yaml", {
        logging_steps: "5",
        save_strategy: "steps\n      save_steps: 5",
      });
      const runs = path.join(ws.dir, "runs-dpo-lora");
      const { dir, events, report } = await stopResumeReproduce(file, runs, (ev) =>
        eventsOf(ev, "metrics").some((e) => e.step >= 10),
      );
      const stopped = eventsOf(events, "stopped")[0]!;
      assert.ok(stopped.step > 10 && stopped.step < 40, `stopped at step ${stopped.step}`);
      assert.ok(
        eventsOf(events, "checkpoint").some((c) => c.step < stopped.step),
        "a checkpoint before the stop",
      );
      assert.deepEqual(report.first, null, `first difference: ${JSON.stringify(report.first)}`);
      assert.equal(report.identical, true);
      assert.equal(report.steps, 8);

      // Its time and cost cover both segments: every step ran once, so the tokens of both add up
      // to the trainer's count at the last step.
      const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as {
        stages: Array<{ stage: string; seconds: number; usage: { tokens: number; device_s: number; wall_s: number } }>;
      };
      const [dpo] = manifest.stages;
      const usages = eventsOf(events, "usage", "dpo");
      assert.equal(usages.length, 2, "one usage report per segment");
      assert.equal(dpo!.usage.tokens, usages[0]!.tokens + usages[1]!.tokens);
      assert.equal(dpo!.usage.tokens, lastNumTokens(events, "dpo"));
      assert.ok(Math.abs(dpo!.usage.device_s - usages[0]!.device_s - usages[1]!.device_s) < 1e-6);
      const ends = eventsOf(events, "stage_end", "dpo");
      assert.ok(dpo!.seconds > ends[1]!.time - eventsOf(events, "run_resumed")[0]!.time, "both segments' time");
      const summary = eventsOf(events, "train_summary", "dpo")[0]!;
      const rate = Number(summary.metrics.train_steps_per_second);
      const runtime = Number(summary.metrics.train_runtime);
      assert.ok(
        Math.abs(rate * runtime - stopped.step) < 0.1,
        `the stopped segment's steps/s: ${rate} over ${runtime} s`,
      );
    });

    it("QLoRA DPO with LoRA dropout on the CPU (bitsandbytes), stopped mid-stage: the adapter resumes in bfloat16", async () => {
      const file = dpoLoraRecipe("qlora-dropout", "quickstart-dpo-qlora.yaml", {
        num_train_epochs: "1\n      max_steps: 12",
        save_strategy: "steps\n      save_steps: 3",
      });
      writeFileSync(
        file,
        readFileSync(file, "utf8")
          .replace("merge: true", "merge: false")
          .replace(/^data:/m, "preference_eval: false\ndata:"),
      );
      const runs = path.join(ws.dir, "runs-qlora");
      const { events, report } = await stopResumeReproduce(file, runs, (ev) =>
        eventsOf(ev, "metrics").some((e) => e.step >= 5),
      );
      const stopped = eventsOf(events, "stopped")[0]!;
      assert.ok(stopped.step > 5 && stopped.step < 12, `stopped at step ${stopped.step}`);
      assert.deepEqual(report.first, null, `first difference: ${JSON.stringify(report.first)}`);
      assert.equal(report.identical, true);
    });

    it("SFT then DPO with LoRA dropout, stopped between the stages", async () => {
      const file = dpoLoraRecipe("sft-dpo-lora-dropout", "quickstart-sft-dpo.yaml", {
        logging_steps: "3",
        save_strategy: "steps\n      save_steps: 5",
      });
      const runs = path.join(ws.dir, "runs-sft-dpo");
      const { events, report } = await stopResumeReproduce(file, runs, (ev) =>
        eventsOf(ev, "stage_end").some((e) => e.stage === "sft"),
      );
      assert.equal(eventsOf(events, "stage_start", "sft").length, 1, "the finished SFT stage is not run again");
      assert.equal(eventsOf(events, "stage_end", "dpo").at(-1)?.status, "finished");
      assert.deepEqual(report.first, null, `first difference: ${JSON.stringify(report.first)}`);
      assert.equal(report.identical, true);
      assert.ok(report.steps > 15);
    });
  },
);

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
