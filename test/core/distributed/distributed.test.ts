import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LaunchBlock, PROFILES } from "../../../src/core/distributed/block.js";
import {
  describeLaunch,
  effectiveBatch,
  launcherArgs,
  stripRankPrefix,
} from "../../../src/core/distributed/command.js";
import {
  LaunchError,
  parseRendezvous,
  resolveDistributed,
  type Distributed,
} from "../../../src/core/distributed/resolve.js";
import { checkSlurmOptions, renderSbatch, shellWord, SlurmOptionError } from "../../../src/core/distributed/slurm.js";
import { hangOf } from "../../../src/core/distributed/hang.js";

const d = (o: Partial<Distributed> = {}): Distributed => ({
  engine: "torchrun",
  processesPerNode: 2,
  nodes: 1,
  nodeRank: 0,
  rendezvous: null,
  profile: null,
  configFile: null,
  worldSize: 2,
  hangSeconds: 300,
  ...o,
});

describe("the launch block", () => {
  it("defaults: torchrun, every visible GPU, one node", () => {
    assert.deepEqual(LaunchBlock.parse({}), {
      engine: "torchrun",
      processes_per_node: "auto",
      nodes: 1,
      node_rank: 0,
      hang_minutes: 5,
    });
  });
  it("refuses what cannot be launched, with the field", () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ nodes: 2, node_rank: 2 }, /node_rank 2 is not below nodes \(2\)/],
      [{ profile: "zero2" }, /profiles are accelerate configs: set engine: accelerate/],
      [{ engine: "accelerate", profile: "zero2", config_file: "ds.json" }, /a profile or a config_file, not both/],
      [{ config_file: "acc.yaml" }, /needs engine: accelerate/],
      [{ config_file: "ds.toml" }, /accelerate config \(\.yaml\) or a DeepSpeed config \(\.json\)/],
      [{ profile: "zero4", engine: "accelerate" }, /multi_gpu/],
      [{ rendezvous: { host: "a;b", port: 1 } }, /host name or an address/],
      [{ procs: 2 }, /procs/],
    ];
    for (const [input, message] of cases) {
      const r = LaunchBlock.safeParse(input);
      assert.equal(r.success, false, JSON.stringify(input));
      assert.match(JSON.stringify(r.error?.issues), message);
    }
  });
});

describe("resolveDistributed", () => {
  it("one process (no launcher) unless there are more, a config file or --slurm", () => {
    assert.equal(resolveDistributed(undefined, {}, 0), null);
    assert.equal(resolveDistributed(undefined, {}, 1), null);
    assert.equal(resolveDistributed(LaunchBlock.parse({}), {}, 0), null, "auto is 1 on a CPU");
    assert.equal(resolveDistributed(undefined, {}, 8)?.worldSize, 8, "auto: every visible GPU");
    assert.equal(
      resolveDistributed(LaunchBlock.parse({ engine: "accelerate", config_file: "ds.json" }), {}, 1)?.configFile,
      "ds.json",
    );
    assert.equal(resolveDistributed(undefined, { slurm: true, nodes: 1, processesPerNode: 1 }, 0)?.slurm, true);
  });
  it("flags override the recipe", () => {
    const r = resolveDistributed(
      LaunchBlock.parse({ processes_per_node: 4, nodes: 2, rendezvous: { host: "n1", port: 29500 } }),
      { processesPerNode: 2, nodeRank: 1 },
      0,
    )!;
    assert.deepEqual(
      [r.processesPerNode, r.nodes, r.nodeRank, r.worldSize, r.rendezvous],
      [2, 2, 1, 4, { host: "n1", port: 29500 }],
    );
  });
  it("several nodes need a rendezvous (except under Slurm)", () => {
    assert.throws(() => resolveDistributed(undefined, { nodes: 2 }, 0), LaunchError);
    assert.throws(
      () => resolveDistributed(undefined, { nodes: 2, nodeRank: 2, rendezvous: { host: "h", port: 1 } }, 0),
      /node rank 2/,
    );
    assert.equal(resolveDistributed(undefined, { nodes: 2, slurm: true }, 0)?.worldSize, 2);
  });
  it("parses host:port", () => {
    assert.deepEqual(parseRendezvous("127.0.0.1:29500"), { host: "127.0.0.1", port: 29500 });
    assert.deepEqual(parseRendezvous("node-1.cluster:1"), { host: "node-1.cluster", port: 1 });
    for (const bad of ["host", "host:0", "host:70000", "a b:1", ":1"])
      assert.equal(parseRendezvous(bad), undefined, bad);
  });
});

describe("launcherArgs", () => {
  const input = { script: "/run/scripts/stage-1-dpo.py", logDir: "/run/logs/dpo.ranks/node0", runId: "rid" };
  it("torchrun on one node: standalone rendezvous, no restarts, per-rank logs, rank 0 teed", () => {
    assert.deepEqual(launcherArgs(d(), input), [
      "-m",
      "torch.distributed.run",
      "--nnodes",
      "1",
      "--nproc-per-node",
      "2",
      "--node-rank",
      "0",
      "--standalone",
      "--max-restarts",
      "0",
      "--log-dir",
      "/run/logs/dpo.ranks/node0",
      "--redirects",
      "3",
      "--tee",
      "3",
      "--local-ranks-filter",
      "0",
      "/run/scripts/stage-1-dpo.py",
    ]);
  });
  it("torchrun on several nodes: c10d at the rendezvous, one id for all nodes", () => {
    const args = launcherArgs(
      d({ nodes: 2, nodeRank: 1, rendezvous: { host: "n1", port: 29400 }, worldSize: 4 }),
      input,
    );
    assert.deepEqual(args.slice(2, 14), [
      "--nnodes",
      "2",
      "--nproc-per-node",
      "2",
      "--node-rank",
      "1",
      "--rdzv-backend",
      "c10d",
      "--rdzv-endpoint",
      "n1:29400",
      "--rdzv-id",
      "rid",
    ]);
  });
  it("accelerate with each of TRL's profiles: its file, the world size and machine rank as flags", () => {
    for (const profile of PROFILES) {
      const args = launcherArgs(
        d({ engine: "accelerate", profile, nodes: 2, rendezvous: { host: "n1", port: 29400 }, worldSize: 4 }),
        { ...input, profileFile: `/venv/trl/accelerate_configs/${profile}.yaml`, nodeRank: "${SLURM_NODEID}" },
      );
      assert.deepEqual(args.slice(0, 14), [
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        `/venv/trl/accelerate_configs/${profile}.yaml`,
        "--num_processes",
        "4",
        "--num_machines",
        "2",
        "--machine_rank",
        "${SLURM_NODEID}",
        "--main_process_ip",
        "n1",
        "--main_process_port",
        "29400",
      ]);
      assert.deepEqual(args.slice(14), [
        "--rdzv_backend",
        "c10d",
        "--max_restarts",
        "0",
        "--log_dir",
        "/run/logs/dpo.ranks/node0",
        "--tee",
        "3",
        "/run/scripts/stage-1-dpo.py",
      ]);
    }
    assert.throws(
      () => launcherArgs(d({ engine: "accelerate", profile: "zero3" }), input),
      /no file for accelerate profile 'zero3'/,
    );
  });
  it("accelerate on a CPU; with a DeepSpeed .json the Trainer gets it (args.deepspeed), not accelerate", () => {
    const args = launcherArgs(d({ engine: "accelerate", configFile: "/r/ds.json" }), { ...input, cpu: true });
    assert.deepEqual(args.slice(0, 6), [
      "-m",
      "accelerate.commands.launch",
      "--multi_gpu",
      "--cpu",
      "--mixed_precision",
      "no",
    ]);
  });
  it("rank prefixes of teed lines are dropped", () => {
    assert.equal(stripRankPrefix("[default0]:{'loss': 1}"), "{'loss': 1}");
    assert.equal(stripRankPrefix("[rank3]:x"), "x");
    assert.equal(stripRankPrefix("[not a prefix] x"), "[not a prefix] x");
  });
});

describe("effective batch", () => {
  it("micro-batch x accumulation x processes, with the Trainer's defaults", () => {
    assert.deepEqual(effectiveBatch({ per_device_train_batch_size: 4, gradient_accumulation_steps: 2 }, 8), {
      microBatch: 4,
      accumulation: 2,
      processes: 8,
      effective: 64,
    });
    assert.equal(effectiveBatch({}, 1).effective, 8);
    assert.equal(
      describeLaunch(null, effectiveBatch({}, 1)),
      "1 process; effective batch 8 = micro-batch 8 x accumulation 1 x 1 process",
    );
    assert.equal(
      describeLaunch(
        d({ engine: "accelerate", profile: "zero3", nodes: 2, worldSize: 4 }),
        effectiveBatch({ per_device_train_batch_size: 2 }, 4),
      ),
      "4 processes (2 per node x 2 nodes, accelerate zero3); effective batch 8 = micro-batch 2 x accumulation 1 x 4 processes",
    );
  });
});

describe("the Slurm batch script", () => {
  const input = {
    d: d({ nodes: 2, processesPerNode: 1, worldSize: 2, slurm: true }),
    slurm: {
      nodes: 2,
      gpusPerNode: 0,
      partition: "debug",
      time: "1:00:00",
      account: "proj-1",
      extra: ["#SBATCH --exclusive"],
    },
    jobName: "trellis-dpo",
    runId: "run-1",
    python: "/venv/bin/python",
    script: "/runs/r 1/scripts/stage-1-dpo.py",
    slurmDir: "/runs/r 1/slurm/dpo",
    rankLogs: "/runs/r 1/logs/dpo.ranks",
    channels: {
      eventsFile: "/runs/r 1/ranks/dpo/events.jsonl",
      controlFile: "/runs/r 1/ranks/dpo/control.jsonl",
      ranksDir: "/runs/r 1/ranks/dpo/heartbeat",
    },
    runtimeDir: "/runs/r 1/scripts/trellis_runtime",
    env: {},
    cpu: true,
  };
  it("allocates the nodes, finds the first node's address at run time, preflights, then one launch per node", () => {
    const { batch, node } = renderSbatch(input);
    assert.match(
      batch,
      /^#!\/bin\/bash\n#SBATCH --job-name=trellis-dpo\n#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=1\n#SBATCH --partition=debug\n#SBATCH --time=1:00:00\n#SBATCH --account=proj-1\n#SBATCH --output=\/runs\/r 1\/slurm\/dpo\/job-%j.out\n#SBATCH --exclusive\n/,
    );
    assert.doesNotMatch(batch, /gpus-per-node/);
    assert.match(batch, /FIRST_NODE=\$\(scontrol show hostnames "\$SLURM_JOB_NODELIST" \| head -n1\)/);
    assert.match(batch, /if \[ -z "\$MASTER_ADDR" \]; then/);
    assert.match(batch, /export TRELLIS_EVENTS_FILE='\/runs\/r 1\/ranks\/dpo\/events.jsonl'/);
    assert.match(
      batch,
      /srun --ntasks-per-node=1 \/venv\/bin\/python '\/runs\/r 1\/scripts\/trellis_runtime\/preflight.py' fingerprint "\$\{MASTER_ADDR\}"/,
    );
    assert.match(batch, /srun --kill-on-bad-exit=1 --wait=60 bash '\/runs\/r 1\/slurm\/dpo\/node.sh'/);
    // The node rank and the rendezvous expand on each node, when the task starts.
    assert.match(
      node,
      /--node-rank "\$\{SLURM_NODEID\}" --rdzv-backend c10d --rdzv-endpoint "\$\{MASTER_ADDR\}:\$\{MASTER_PORT\}" --rdzv-id run-1/,
    );
    assert.match(node, /--log-dir "\/runs\/r 1\/logs\/dpo.ranks\/node\$\{SLURM_NODEID\}"/);
    assert.ok(node.startsWith("#!/bin/bash\n"));
    assert.match(
      renderSbatch({ ...input, slurm: { ...input.slurm, gpusPerNode: 8 } }).batch,
      /#SBATCH --gpus-per-node=8\n/,
    );
  });
  it("options cannot smuggle shell or extra lines into the script", () => {
    assert.throws(() => checkSlurmOptions({ ...input.slurm, partition: "a\n#SBATCH --x" }), SlurmOptionError);
    assert.throws(() => checkSlurmOptions({ ...input.slurm, account: "$(rm -rf /)" }), /--account/);
    assert.throws(() => checkSlurmOptions({ ...input.slurm, extra: ["rm -rf /"] }), /one '#SBATCH --option' line/);
    checkSlurmOptions(input.slurm);
    assert.equal(shellWord("it's"), `'it'\\''s'`);
    assert.equal(shellWord("${A}:${B}"), `"\${A}:\${B}"`);
    assert.equal(shellWord("/plain/path-1.py"), "/plain/path-1.py");
  });
});

describe("hangOf", () => {
  const beats = [
    { rank: 0, step: 7, time: 1000 },
    { rank: 1, step: 6, time: 990 },
  ];
  it("nothing while a rank finished a step within the limit", () => {
    assert.equal(hangOf(beats, 2, 300, 1200), null);
    assert.equal(hangOf([], 2, 300, 5000), null);
  });
  it("names every rank with its step, the ranks behind as stalled", () => {
    assert.equal(
      hangOf(beats, 2, 300, 1400),
      "no rank finished a step for 400 s (limit 300 s): rank 0 at step 7, 400 s ago; rank 1 at step 6, 410 s ago. Stalled: rank 1",
    );
    assert.match(hangOf([beats[0]!], 2, 300, 1400)!, /rank 1 never reported. Stalled: rank 1$/);
  });
});
