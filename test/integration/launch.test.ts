/**
 * Stages launched as several processes by torchrun's elastic agent, on the CPU (gloo): rank 0's
 * events only, per-rank logs, the world size in the manifest; a rank that raises fails the run
 * with its rank and exception and leaves no process; two nodes meeting at a c10d rendezvous on
 * loopback. Real TRL runs of the DPO quickstart, a few steps each.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { eventsOf, onlyRun, readEvents, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { assertNoRunProcesses } from "../helpers/live-run.js";
import { dpoRecipe, FAULTS, freePort } from "../helpers/launch.js";

const ws = workspace("launch");
after(() => rmSync(ws.dir, { recursive: true, force: true }));
/** One thread per rank: two ranks on two shared cores. */
const env = { ...ws.env, OMP_NUM_THREADS: "1" };
const STEPS = 4;
/** The heavier variants (a hung collective) run in the full matrix only (scripts/test-matrix.mjs). */
const FULL = process.env.TRELLIS_MATRIX === "full";

const manifestOf = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as {
    launch: {
      world_size: number;
      nodes: number;
      stages: Array<{ per_process_batch: number; effective_batch: number }>;
    };
  };

describe("launched stages (torchrun, gloo)", { timeout: RUN_TIMEOUT_MS }, () => {
  it("2 processes: one metrics event per logged step from rank 0, per-rank logs, world size 2 in the manifest", async () => {
    const runs = path.join(ws.dir, "runs-two");
    const result = await trellis(
      ["run", dpoRecipe(ws.dir, "two", STEPS), "--runs-dir", runs, "--json", "--processes-per-node", "2"],
      { cwd: ws.dir, env },
    );
    assert.equal(result.exitCode, 0, result.stderr);
    const dir = onlyRun(runs);
    const events = readEvents(path.join(dir, "events.jsonl"));
    assert.deepEqual(
      eventsOf(events, "metrics").map((m) => m.step),
      [1, 2, 3, 4],
      "each step once: rank 1 sends nothing",
    );
    assert.equal(eventsOf(events, "train_begin").length, 1);
    assert.equal((eventsOf(events, "stage_start")[0] as { world_size?: number }).world_size, 2);
    assert.match(
      eventsOf(events, "notice").find((n) => n.code === "launch")?.message ?? "",
      /^2 processes \(2 per node x 1 node, torchrun\); effective batch 16 = micro-batch 8 x accumulation 1 x 2 processes$/,
    );
    for (const rank of [0, 1]) {
      const log = path.join(dir, "logs", `dpo.rank${rank}.stderr.log`);
      assert.ok(existsSync(log), `rank ${rank} has its own log`);
    }
    assert.match(
      readFileSync(path.join(dir, "logs", "dpo.rank1.stdout.log"), "utf8"),
      /'loss'|^$/,
      "rank 1's output is in its own file",
    );
    const { launch } = manifestOf(dir);
    assert.equal(launch.world_size, 2);
    assert.equal(launch.nodes, 1);
    assert.deepEqual([launch.stages[0]!.per_process_batch, launch.stages[0]!.effective_batch], [8, 16]);
    assert.ok(existsSync(path.join(dir, "output", "dpo", "adapter_model.safetensors")), "the adapter is saved");
    await assertNoRunProcesses(dir);
  });

  it("a rank that raises fails the run naming that rank and its exception; no process of the run survives", async () => {
    const runs = path.join(ws.dir, "runs-raise");
    const faulty = { ...env, PYTHONPATH: FAULTS, TRELLIS_TEST_FAULT: "raise:1:2" };
    const result = await trellis(
      ["run", dpoRecipe(ws.dir, "raise", STEPS), "--runs-dir", runs, "--json", "--processes-per-node", "2"],
      { cwd: ws.dir, env: faulty },
    );
    assert.equal(result.exitCode, 1, result.stderr);
    const dir = onlyRun(runs);
    const end = eventsOf(readEvents(path.join(dir, "events.jsonl")), "run_end")[0]!;
    assert.equal(end.status, "failed");
    assert.match(
      end.reason ?? "",
      /^stage 'dpo' failed on rank 1 of 2 \(.+, local rank 1\): ValueError: injected fault on rank 1 at step 2$/,
    );
    assert.ok(result.stderr.includes(end.reason!), "the reason is on stderr");
    assert.match(readFileSync(path.join(dir, "logs", "dpo.rank1.stderr.log"), "utf8"), /ValueError: injected fault/);
    await assertNoRunProcesses(dir);
  });

  it("2 nodes on loopback: two launches (node ranks 0 and 1) meet at a c10d rendezvous and train one run", async () => {
    const port = await freePort();
    const recipe = dpoRecipe(ws.dir, "nodes", STEPS);
    const node = (rank: number) =>
      trellis(
        [
          "run",
          recipe,
          "--runs-dir",
          path.join(ws.dir, `runs-node${rank}`),
          "--json",
          "--processes-per-node",
          "1",
          "--nodes",
          "2",
          "--node-rank",
          String(rank),
          "--rendezvous",
          `127.0.0.1:${port}`,
        ],
        { cwd: ws.dir, env },
      );
    const results = await Promise.all([node(0), node(1)]);
    results.forEach((r, i) => assert.equal(r.exitCode, 0, `node ${i}: ${r.stderr}`));
    const dirs = [0, 1].map((r) => onlyRun(path.join(ws.dir, `runs-node${r}`)));
    const streams = dirs.map((d) => readEvents(path.join(d, "events.jsonl")));
    // c10d orders the nodes itself: global rank 0, and with it the events, is on one of them.
    const steps = streams.map((events) => eventsOf(events, "metrics").map((m) => m.step));
    assert.deepEqual(steps.flat(), [1, 2, 3, 4], `one stream of events for the whole run: ${JSON.stringify(steps)}`);
    for (const [i, events] of streams.entries()) {
      assert.match(
        eventsOf(events, "notice").find((n) => n.code === "launch")?.message ?? "",
        /^2 processes \(1 per node x 2 nodes, torchrun\)/,
        `node ${i}`,
      );
      assert.equal(manifestOf(dirs[i]!).launch.world_size, 2);
      assert.equal(eventsOf(events, "run_end")[0]?.status, "finished");
    }
    for (const d of dirs) await assertNoRunProcesses(d);
  });

  it("render --slurm writes the batch script and the per-node launch without submitting anything", async () => {
    const out = path.join(ws.dir, "rendered");
    const result = await trellis(
      [
        "render",
        dpoRecipe(ws.dir, "render", STEPS),
        "--out",
        out,
        "--slurm",
        "--nodes",
        "2",
        "--gpus-per-node",
        "8",
        "--partition",
        "gpu",
        "--json",
      ],
      { cwd: ws.dir, env },
    );
    assert.equal(result.exitCode, 0, result.stderr);
    const batchFile = path.join(out, "slurm", "dpo", "job.sbatch");
    assert.deepEqual((JSON.parse(result.stdout) as { slurm: string[] }).slurm, [batchFile]);
    const batch = readFileSync(batchFile, "utf8");
    assert.match(
      batch,
      /#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=1\n#SBATCH --gpus-per-node=8\n#SBATCH --partition=gpu\n/,
    );
    assert.match(
      readFileSync(path.join(out, "slurm", "dpo", "node.sh"), "utf8"),
      /torch\.distributed\.run --nnodes 2 --nproc-per-node 8 --node-rank "\$\{SLURM_NODEID\}"/,
    );
    assert.ok(!existsSync(path.join(out, "slurm", "dpo", "exit-code")), "nothing ran");
    const refused = await trellis(["render", dpoRecipe(ws.dir, "render", STEPS), "--out", out, "--partition", "gpu"], {
      cwd: ws.dir,
      env,
    });
    assert.equal(refused.exitCode, 2);
    assert.match(refused.stderr, /--partition is a Slurm option: add --slurm/);
  });

  it(
    "a stalled collective is reported as a hang naming the ranks, long before the collective's timeout",
    { skip: !FULL && "TRELLIS_MATRIX=full only" },
    async () => {
      const runs = path.join(ws.dir, "runs-hang");
      const stuck = { ...env, PYTHONPATH: FAULTS, TRELLIS_TEST_FAULT: "hang:1:3" };
      const started = Date.now();
      const result = await trellis(
        [
          "run",
          dpoRecipe(ws.dir, "hang", 20, "launch:\n  hang_minutes: 0.25\n"),
          "--runs-dir",
          runs,
          "--json",
          "--processes-per-node",
          "2",
        ],
        { cwd: ws.dir, env: stuck },
      );
      assert.equal(result.exitCode, 1, result.stderr);
      const dir = onlyRun(runs);
      const events = readEvents(path.join(dir, "events.jsonl"));
      const end = eventsOf(events, "run_end")[0]!;
      assert.match(
        end.reason ?? "",
        /^stage 'dpo' hung: no rank finished a step for \d+ s \(limit 15 s\): rank 0 \(.+\) at step 2, \d+ s ago; rank 1 \(.+\) at step 2, \d+ s ago\. Stalled: rank 0, 1$/,
      );
      assert.ok(eventsOf(events, "notice").some((n) => n.code === "hang"));
      assert.ok(Date.now() - started < 10 * 60_000, "well before gloo's 30-minute timeout");
      await assertNoRunProcesses(dir);
    },
  );
});
