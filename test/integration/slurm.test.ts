/**
 * `trellis run --slurm --nodes 2` on a real two-node Slurm cluster on this machine
 * (scripts/slurm-local.sh): the DPO quickstart trains across both nodes, `trellis attach`
 * shows it live from the login node, a graceful stop leaves one checkpoint of both ranks, and
 * `trellis resume` continues it as a new job. `trellis render --slurm` writes the same script.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { execa } from "execa";
import { followRun } from "../../src/adapters/ws-client.js";
import type { RunEvent } from "../../src/core/events/protocol.js";
import { BIN, eventsOf, readEvents, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { assertNoRunProcesses, startRun, waitFor } from "../helpers/live-run.js";
import { dpoRecipe } from "../helpers/launch.js";
import { slurmCluster, slurmMissing, type Cluster } from "../helpers/slurm.js";

const missing = await slurmMissing();
if (missing) process.stdout.write(`# skipping the Slurm tests: ${missing}\n`);

const ws = workspace("slurm");
let cluster: Cluster;
let env: Record<string, string>;
before(async () => {
  if (missing) return;
  cluster = await slurmCluster();
  env = { ...ws.env, ...cluster.env, OMP_NUM_THREADS: "1" };
});
after(async () => {
  await cluster?.stop();
  rmSync(ws.dir, { recursive: true, force: true });
});

describe("trellis run --slurm", { timeout: RUN_TIMEOUT_MS, skip: missing }, () => {
  it("trains across both nodes; attach shows it live; a graceful stop checkpoints; resume continues it", async () => {
    const runs = path.join(ws.dir, "runs");
    const steps = 30;
    const run = await startRun(dpoRecipe(ws.dir, "slurm", steps), runs, env, ["--json", "--slurm", "--nodes", "2"]);
    const id = path.basename(run.dir);
    // attach from another "terminal" while it trains
    const attach = execa(process.execPath, [BIN, "attach", id, "--runs-dir", runs, "--json"], {
      env,
      reject: false,
      stdin: "ignore",
      buffer: true,
    });
    const seen: RunEvent[] = [];
    const follower = followRun({ url: run.url, token: run.token, onEvent: (e) => seen.push(e) });
    await waitFor(() => eventsOf(seen, "metrics").length >= 2, 240_000, "training on the cluster");
    const ls = await trellis(["ls", "--runs-dir", runs], { cwd: ws.dir, env });
    assert.match(ls.stdout, new RegExp(`${id}\\s+running`));
    follower.send("stop");
    await follower.done;
    const attached = await attach;
    assert.equal(attached.exitCode, 130, attached.stderr);
    const live = String(attached.stdout)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as RunEvent);
    assert.ok(eventsOf(live, "metrics").length >= 2, "attach printed the metrics as they came");

    const events = readEvents(path.join(run.dir, "events.jsonl"));
    // The job's state comes from polling squeue and the preflight from the job itself: either
    // can be told first.
    const notices = eventsOf(events, "notice")
      .map((n) => n.message)
      .join("\n");
    assert.match(notices, /slurm job \d+: RUNNING/);
    assert.match(notices, /preflight: 2 nodes agree/);
    assert.equal(eventsOf(events, "run_end")[0]?.status, "stopped");
    const stopped = eventsOf(events, "stopped")[0]!;
    assert.ok(stopped.checkpoint && stopped.step < steps, "stopped before the end, with a checkpoint");
    for (const f of [
      "trainer_state.json",
      "optimizer.pt",
      "rng_state_0.pth",
      "rng_state_1.pth",
      "trellis-checkpoint.json",
    ])
      assert.ok(existsSync(path.join(stopped.checkpoint, f)), `${f} in the checkpoint`);
    assert.deepEqual(
      eventsOf(events, "metrics").map((m) => m.step),
      Array.from({ length: stopped.step }, (_, i) => i + 1),
      "one event a step, rank 0 only",
    );
    assert.ok(existsSync(path.join(run.dir, "logs", "dpo.rank1.stderr.log")), "rank 1 (node 2) has its own log");
    assert.equal(
      (
        JSON.parse(readFileSync(path.join(run.dir, "manifest.json"), "utf8")) as {
          launch: { world_size: number; nodes: number; slurm: boolean };
        }
      ).launch.world_size,
      2,
    );
    await assertNoRunProcesses(run.dir);

    const resumed = await trellis(["resume", id, "--runs-dir", runs, "--json"], { cwd: ws.dir, env });
    assert.equal(resumed.exitCode, 0, resumed.stderr);
    const all = readEvents(path.join(run.dir, "events.jsonl"));
    const after = all.slice(all.findIndex((e) => e.type === "run_resumed"));
    assert.deepEqual(
      eventsOf(after, "metrics").map((m) => m.step),
      Array.from({ length: steps - stopped.step }, (_, i) => stopped.step + i + 1),
      "the resumed job goes on from the checkpoint",
    );
    assert.equal(
      eventsOf(after, "notice").filter((n) => n.code === "slurm_job").length > 0,
      true,
      "as a new Slurm job",
    );
    assert.equal(eventsOf(after, "run_end")[0]?.status, "finished");
    await assertNoRunProcesses(run.dir);
  });
});
