import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_HEALTH_OPTIONS,
  healthOptions,
  initialHealth,
  observeGpu,
  observeMetrics,
  observeOutput,
  type Alert,
  type HealthOptions,
} from "../../../src/core/health/index.js";
import { foldEvents } from "../../../src/core/run/dashboard-state.js";
import { stream } from "../../ui/streams.js";

type Log = Record<string, number>;

/** Feeds logs (one per `every` steps) through the metric rules; returns the alerts, in order. */
function run(trainer: string, logs: Log[], options: Partial<HealthOptions> = {}, every = 10): Alert[] {
  const o = healthOptions(options);
  let h = initialHealth;
  const alerts: Alert[] = [];
  logs.forEach((metrics, i) => {
    const r = observeMetrics(h, { stage: "s", trainer, step: (i + 1) * every, metrics }, o);
    h = r.health;
    alerts.push(...r.alerts);
  });
  return alerts;
}

const times = (n: number, f: (i: number) => Log): Log[] => Array.from({ length: n }, (_, i) => f(i));
/** A healthy DPO run: loss falls from ln 2, accuracy climbs, margins grow, rewards split. */
const healthyDpo = (i: number): Log => ({
  loss: 0.69 - i * 0.004,
  grad_norm: 1 + 0.1 * Math.sin(i),
  "rewards/accuracies": Math.min(0.95, 0.55 + i * 0.01),
  "rewards/margins": 0.01 + i * 0.02,
  "rewards/chosen": 0.005 * i,
  "rewards/rejected": -0.015 * i,
});
const noisy = (i: number) => [0.01, -0.02, 0.015, -0.005, 0.02, -0.01][i % 6]!;

interface Case {
  name: string;
  trainer: string;
  logs: Log[];
  options?: Partial<HealthOptions>;
  every?: number;
  /** "id@step:severity" for each alert, in order. */
  expect: string[];
}

const cases: Case[] = [
  { name: "a healthy DPO run raises nothing", trainer: "dpo", logs: times(100, healthyDpo), expect: [] },
  {
    name: "a healthy SFT run raises nothing",
    trainer: "sft",
    logs: times(100, (i) => ({ loss: 3 - i * 0.02, mean_token_accuracy: 0.2 + i * 0.005, grad_norm: 1.2 })),
    expect: [],
  },
  {
    name: "NaN loss is an error at once, once per episode",
    trainer: "dpo",
    logs: times(30, (i) => ({ ...healthyDpo(i), loss: i >= 5 && i < 9 ? NaN : healthyDpo(i).loss! })),
    expect: ["nonfinite@60:error"],
  },
  {
    name: "an infinite grad_norm counts too",
    trainer: "sft",
    logs: times(5, (i) => ({ loss: 2, grad_norm: i === 2 ? Infinity : 1 })),
    expect: ["nonfinite@30:error"],
  },
  {
    name: "a non-finite learning rate is not a health problem",
    trainer: "sft",
    logs: times(5, () => ({ loss: 2, learning_rate: NaN })),
    expect: [],
  },
  {
    name: "loss exactly 0 for two logs",
    trainer: "sft",
    logs: times(5, (i) => ({ loss: i >= 2 ? 0 : 1 })),
    expect: ["zero-loss@40:error"],
  },
  {
    name: "accuracy stuck at 0.5 warns once past the default 100 steps",
    trainer: "dpo",
    logs: times(40, (i) => ({ loss: 0.693, "rewards/accuracies": 0.5 + noisy(i), "rewards/margins": 0.001 })),
    expect: ["accuracy-stuck@100:warn"],
  },
  {
    name: "stuckAccuracyAfterSteps moves the start",
    trainer: "dpo",
    logs: times(40, (i) => ({ loss: 0.693, "rewards/accuracies": 0.5 + noisy(i) })),
    options: { stuckAccuracyAfterSteps: 200 },
    expect: ["accuracy-stuck@200:warn"],
  },
  {
    name: "SFT has no reward accuracy to be stuck",
    trainer: "sft",
    logs: times(40, () => ({ loss: 2, "rewards/accuracies": 0.5 })),
    expect: [],
  },
  {
    name: "accuracy below chance",
    trainer: "orpo",
    logs: times(30, (i) => ({ loss: 2, "rewards/accuracies": 0.3 + noisy(i) })),
    expect: ["accuracy-below-chance@100:warn"],
  },
  {
    name: "loss ~0 with accuracy 1.0 at step 2: the chat-template bug",
    trainer: "dpo",
    every: 1,
    logs: times(10, (i) => ({
      loss: i === 0 ? 0.693 : 0.0004,
      "rewards/accuracies": i === 0 ? 0 : 1,
      "rewards/margins": 9,
    })),
    expect: ["early-collapse@2:error"],
  },
  {
    name: "the same in SFT, on token accuracy",
    trainer: "sft",
    every: 1,
    logs: times(5, () => ({ loss: 0.01, mean_token_accuracy: 1 })),
    expect: ["early-collapse@1:error"],
  },
  {
    name: "reaching loss ~0 late is not a collapse",
    trainer: "dpo",
    logs: times(10, (i) => ({ loss: i > 5 ? 0.01 : 0.5, "rewards/accuracies": 1 })),
    expect: [],
  },
  {
    name: "a grad_norm spike over the frozen baseline warns; an explosion is an error",
    trainer: "sft",
    logs: times(40, (i) => ({ loss: 2, grad_norm: i === 20 ? 6 : i === 30 ? 40 : 1 + 0.1 * Math.sin(i) })),
    expect: ["grad-spike@210:warn", "grad-spike@310:error"],
  },
  {
    name: "small-batch grad_norm noise (3x) stays quiet",
    trainer: "sft",
    logs: times(40, (i) => ({ loss: 2, grad_norm: i % 7 === 0 ? 3 : 1 })),
    expect: [],
  },
  {
    name: "both rewards falling while margins stall",
    trainer: "dpo",
    logs: times(40, (i) => ({
      loss: 0.5,
      "rewards/chosen": -0.05 * i + noisy(i),
      "rewards/rejected": -0.05 * i - 0.5 + noisy(i + 2),
      "rewards/margins": 0.5 + noisy(i),
    })),
    expect: ["rewards-falling@200:warn"],
  },
  {
    name: "both falling while margins rise is usual DPO displacement: quiet by default",
    trainer: "dpo",
    logs: times(40, (i) => ({
      loss: 0.5,
      "rewards/chosen": -0.05 * i,
      "rewards/rejected": -0.1 * i,
      "rewards/margins": 0.05 * i + noisy(i),
    })),
    expect: [],
  },
  {
    name: "...and a warning when asked for",
    trainer: "dpo",
    logs: times(40, (i) => ({
      loss: 0.5,
      "rewards/chosen": -0.05 * i,
      "rewards/rejected": -0.1 * i,
      "rewards/margins": 0.05 * i + noisy(i),
    })),
    options: { rewardsFallingEvenIfMarginsRise: true },
    expect: ["rewards-falling@200:warn"],
  },
  {
    name: "ORPO rewards both falling: likelihood of both answers drops",
    trainer: "orpo",
    logs: times(30, (i) => ({ loss: 1, "rewards/chosen": -0.3 - 0.01 * i, "rewards/rejected": -0.3 - 0.012 * i })),
    expect: ["rewards-falling@200:warn"],
  },
  {
    name: "KTO desirable and undesirable rewards both falling: warned, even while their difference rises",
    trainer: "kto",
    logs: times(30, (i) => ({
      loss: 0.5,
      kl: 0.1,
      "rewards/chosen": -0.05 * i,
      "rewards/rejected": -0.1 * i,
      "rewards/margins": 0.05 * i,
    })),
    expect: ["rewards-falling@200:warn"],
  },
  {
    name: "KTO without rewards/accuracies: no accuracy rule fires",
    trainer: "kto",
    logs: times(40, () => ({ loss: 0.5, kl: 0, "rewards/chosen": 0.1, "rewards/rejected": -0.1 })),
    expect: [],
  },
];

describe("health rules", () => {
  for (const c of cases) {
    it(c.name, () => {
      const got = run(c.trainer, c.logs, c.options, c.every).map((a) => `${a.id}@${a.step}:${a.severity}`);
      assert.deepEqual(got, c.expect);
    });
  }

  it("writes one actionable line per alert", () => {
    const alerts = cases.flatMap((c) => run(c.trainer, c.logs, c.options, c.every));
    assert.ok(alerts.length >= 10);
    for (const a of alerts) {
      assert.doesNotMatch(a.message, /\n/);
      assert.match(a.message, /: [a-z]/, `an action after the finding: ${a.message}`);
      assert.equal(a.stage, "s");
    }
  });

  it("comes back after the cooldown when a problem returns", () => {
    const logs = times(120, (i) => ({ loss: i === 5 || i === 10 || i === 100 ? NaN : 1 }));
    assert.deepEqual(
      run("sft", logs).map((a) => a.step),
      [60, 1010],
    );
  });

  it("has a named default for every option", () => {
    for (const [k, v] of Object.entries(DEFAULT_HEALTH_OPTIONS))
      assert.ok(typeof v === "number" || typeof v === "boolean", k);
    assert.equal(DEFAULT_HEALTH_OPTIONS.gpuMemoryWarnFraction, 0.95);
  });
});

describe("runtime health: GPU memory and OOM lines", () => {
  const o = healthOptions();
  const gpu = (used: number) => [{ index: 0, name: "H100", util: 90, mem_used_mb: used, mem_total_mb: 80000 }];

  it("warns once when a GPU's memory crosses 95 %, again after it dropped", () => {
    let h = initialHealth;
    const fired: number[] = [];
    for (const used of [60000, 77000, 78000, 50000, 79000]) {
      const r = observeGpu(h, "dpo", gpu(used), o);
      h = r.health;
      fired.push(r.alerts.length);
    }
    assert.deepEqual(fired, [0, 1, 0, 0, 1]);
  });

  it("turns an out-of-memory line into an error, once per stage", () => {
    const line = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB";
    const a = observeOutput(initialHealth, "dpo", line);
    assert.equal(a.alerts[0]?.id, "oom");
    assert.equal(a.alerts[0]?.severity, "error");
    assert.equal(observeOutput(a.health, "dpo", line).alerts.length, 0);
    assert.equal(observeOutput(initialHealth, "dpo", "loss went down").alerts.length, 0);
  });
});

describe("health on recorded streams", () => {
  const alertsOf = (name: string) => foldEvents(stream(name)).alerts.map((a) => `${a.id}@${a.stage}:${a.step}`);

  const table: Array<[string, string[]]> = [
    ["dpo.jsonl", []],
    ["orpo.jsonl", []],
    ["sft.jsonl", []],
    ["dpo-gpu.jsonl", []],
    ["failed.jsonl", []],
    // The quickstart's learning rate (3e-3, batch 8, a log every step) really does displace.
    ["sft-dpo.jsonl", ["rewards-falling@dpo:58", "grad-spike@dpo:81", "rewards-falling@dpo:137"]],
    ["alert-nan.jsonl", ["nonfinite@dpo:60"]],
    ["alert-stuck.jsonl", ["accuracy-stuck@dpo:100"]],
    ["alert-collapse.jsonl", ["early-collapse@dpo:2"]],
  ];
  for (const [file, expected] of table) it(file, () => assert.deepEqual(alertsOf(file), expected));
});
