import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planKey, planWithCache, type PlanCache, type PlanFingerprint } from "../../../src/core/plan/cache.js";
import { estimateMemory, type MemoryInput } from "../../../src/core/plan/memory.js";
import {
  divisors,
  perProcessBatch,
  PlanRefused,
  ProbeFailed,
  searchPlan,
  type BatchConfig,
  type Plan,
  type PlanInput,
  type ProbeOutcome,
} from "../../../src/core/plan/search.js";
import { planArgs, recipeBatch } from "../../../src/core/plan/stage.js";

const GiB = 2 ** 30;

/**
 * A simulated GPU: a configuration's peak memory is a linear model of its rows (checkpointing
 * and precompute cut the activation part); above the card it is an OOM. Tokens/s grows with the
 * micro-batch and drops with checkpointing, as on the H100 (docs/design/TRL_FACTS.md).
 */
function fakeGpu(
  capacityGiB: number,
  opts: { perRowGiB?: number; baseGiB?: number; ranks?: number; refGiB?: number } = {},
) {
  const probes: BatchConfig[] = [];
  const perRow = opts.perRowGiB ?? 10;
  const probe = async (c: BatchConfig): Promise<ProbeOutcome> => {
    probes.push(c);
    const activations = c.microBatch * perRow * (c.gradientCheckpointing ? 0.25 : 1);
    const peak = ((opts.baseGiB ?? 4) + (c.precomputeRef ? 0 : (opts.refGiB ?? 0)) + activations) * GiB;
    if (peak > capacityGiB * GiB) return { kind: "oom", message: "CUDA out of memory. Tried to allocate 2.00 GiB" };
    const tokensPerSec = 5000 * c.microBatch * (c.gradientCheckpointing ? 0.66 : 1) * (c.precomputeRef ? 1.07 : 1);
    // every rank reports; rank 1 holds a little more (buffers)
    const peaks = Array.from({ length: opts.ranks ?? 1 }, (_, r) => peak + r * 0.5 * GiB);
    return { kind: "ok", tokensPerSec, peakBytes: peaks, capacityBytes: capacityGiB * GiB };
  };
  return { probe, probes };
}

/** Estimates that agree with the fake GPU's linear model (as a good estimate would). */
const estimate =
  (perRow = 10, base = 4) =>
  (c: BatchConfig) => {
    const total = (base + c.microBatch * perRow * (c.gradientCheckpointing ? 0.25 : 1)) * GiB;
    return { weights: 0, gradients: 0, optimizer: 0, reference: 0, activations: 0, logits: 0, total };
  };

const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  perProcessBatch: 8,
  worldSize: 1,
  canPrecomputeRef: false,
  capacityBytes: 80 * GiB,
  margin: 0.1,
  estimate: estimate(),
  ...over,
});

describe("batch planner search (fake probe, simulated memory limit)", () => {
  it("keeps the effective batch: candidates are the divisors of the per-process batch", () => {
    assert.deepEqual(divisors(8), [1, 2, 4, 8]);
    assert.deepEqual(divisors(12), [1, 2, 3, 4, 6, 12]);
    assert.deepEqual(divisors(7), [1, 7]);
    assert.deepEqual(
      recipeBatch({
        id: "s",
        trainer: "orpo",
        args: { per_device_train_batch_size: 2, gradient_accumulation_steps: 4 },
      }),
      { microBatch: 2, accumulation: 4, perProcessBatch: 8 },
    );
  });

  it("takes the whole batch in one micro-batch without checkpointing when it fits", async () => {
    const gpu = fakeGpu(140);
    const plan = await searchPlan(input({ capacityBytes: 140 * GiB }), gpu.probe);
    assert.deepEqual(
      [plan.chosen.microBatch, plan.chosen.accumulation, plan.chosen.gradientCheckpointing],
      [8, 1, false],
    );
    assert.equal(gpu.probes.length, 1);
    assert.equal(plan.chosen.microBatch * plan.chosen.accumulation * plan.worldSize, 8);
  });

  it("steps down to the largest size under the margin, then tries checkpointing only on larger sizes", async () => {
    // 80 GiB card: without checkpointing 8 (84 GiB) runs out of memory and 4 (44) fits;
    // 8 with checkpointing is 24 GiB
    const gpu = fakeGpu(80);
    const plan = await searchPlan(input(), gpu.probe);
    assert.deepEqual(
      gpu.probes.map((c) => `${c.microBatch}${c.gradientCheckpointing ? "+gc" : ""}`),
      ["8", "4", "8+gc"],
    );
    assert.equal(plan.probes[0]!.outcome, "oom");
    // picked by measured tokens/s: 8+gc (26.4k) beats 4 (20k)
    assert.deepEqual(
      [plan.chosen.microBatch, plan.chosen.accumulation, plan.chosen.gradientCheckpointing],
      [8, 1, true],
    );
    assert.equal(plan.probes.find((r) => r.microBatch === 4)!.outcome, "accepted");
  });

  it("does not accept a size that fits but leaves less than the margin", async () => {
    // 46 GiB card: micro-batch 4 peaks at 44 GiB: it runs, but above 90% of 46 (41.4)
    const gpu = fakeGpu(46);
    const plan = await searchPlan(input({ capacityBytes: 46 * GiB }), gpu.probe);
    const four = plan.probes.find((r) => r.microBatch === 4 && !r.gradientCheckpointing)!;
    assert.equal(four.outcome, "over_margin");
    assert.ok(plan.chosen.peakBytes <= 46 * GiB * 0.9);
  });

  it("an OOM on a size the estimate allowed is a failed fit, and the search goes on", async () => {
    // the estimate says 8 fits (base 0, 5 GiB a row: 40 GiB) but the card OOMs above 30
    const gpu = fakeGpu(30);
    const plan = await searchPlan(input({ capacityBytes: 30 * GiB, estimate: estimate(5, 0) }), gpu.probe);
    assert.equal(plan.probes[0]!.outcome, "oom");
    assert.ok(plan.chosen.microBatch * plan.chosen.accumulation === 8);
  });

  it("tries precomputed reference log-probs for DPO where that is what makes a size fit", async () => {
    // DPO: the reference copy costs 30 GiB; on 80 GiB, 4 without checkpointing fits only without it
    const gpu = fakeGpu(80, { refGiB: 30 });
    const plan = await searchPlan(input({ canPrecomputeRef: true, estimate: estimate(10, 4) }), gpu.probe);
    const tried = gpu.probes.map(
      (c) => `${c.microBatch}${c.gradientCheckpointing ? "+gc" : ""}${c.precomputeRef ? "+pre" : ""}`,
    );
    // 8 OOM, 4 over the margin (74 GiB), 2 fits; precompute: 8 OOM, 4 fits (44); checkpointing: 8 fits
    assert.deepEqual(tried, ["8", "4", "2", "8+pre", "4+pre", "8+gc"]);
    const row = (mb: number, pre: boolean, gc = false) =>
      plan.probes.find((r) => r.microBatch === mb && r.precomputeRef === pre && r.gradientCheckpointing === gc)!;
    assert.equal(row(4, false).outcome, "over_margin");
    assert.equal(row(4, true).outcome, "accepted");
    // measured tokens/s decides: 8 with checkpointing (26.4k) over 4 precomputed (21.4k)
    assert.deepEqual(
      [plan.chosen.microBatch, plan.chosen.gradientCheckpointing, plan.chosen.precomputeRef],
      [8, true, false],
    );
    assert.equal(planArgs(plan.chosen, "dpo").precompute_ref_log_probs, plan.chosen.precomputeRef);
  });

  it("refuses, with the probe table, when no divisor fits even at 1 with checkpointing", async () => {
    const gpu = fakeGpu(5); // 4 GiB of weights + 2.5 per row with checkpointing: nothing fits under 90%
    await assert.rejects(searchPlan(input({ capacityBytes: 5 * GiB }), gpu.probe), (err: unknown) => {
      assert.ok(err instanceof PlanRefused);
      assert.match(err.message, /does not shrink the batch/);
      assert.ok(err.probes.length > 0);
      assert.ok(err.probes.every((r) => r.outcome !== "accepted"));
      return true;
    });
  });

  it("stops at a failure that is not about memory", async () => {
    const probe = async (): Promise<ProbeOutcome> => ({ kind: "error", message: "KeyError: 'rejected'" });
    await assert.rejects(searchPlan(input(), probe), ProbeFailed);
  });

  it("with several processes: splits the effective batch per process and judges the fullest rank", async () => {
    // effective 32 over 4 processes: 8 per process; rank peaks differ by 0.5 GiB each
    const per = perProcessBatch(32, 4);
    assert.equal(per, 8);
    // micro-batch 4 peaks at 44 GiB on rank 0 and 45.5 on rank 3: over 90% of 50 (45)
    const gpu = fakeGpu(50, { ranks: 4 });
    const plan = await searchPlan(input({ perProcessBatch: per, worldSize: 4, capacityBytes: 50 * GiB }), gpu.probe);
    assert.equal(plan.probes.find((r) => r.microBatch === 4 && !r.gradientCheckpointing)!.outcome, "over_margin");
    assert.equal(plan.effectiveBatch, 32);
    assert.equal(plan.chosen.microBatch * plan.chosen.accumulation * plan.worldSize, 32);
    assert.throws(() => perProcessBatch(30, 4), PlanRefused);
  });

  it("orders nothing into a probe that the estimate puts far beyond the card", async () => {
    const gpu = fakeGpu(16);
    const plan = await searchPlan(input({ capacityBytes: 16 * GiB }), gpu.probe);
    assert.ok(plan.probes.filter((r) => r.outcome === "skipped_estimate").length >= 2);
    assert.ok(!gpu.probes.some((c) => c.microBatch === 8 && !c.gradientCheckpointing));
  });
});

describe("plan cache", () => {
  const fp: PlanFingerprint = {
    model: "Qwen/Qwen2-0.5B",
    dtype: "bfloat16",
    trainer: "orpo",
    data: "sha256:abc",
    seqLen: 384,
    args: { per_device_train_batch_size: 2, gradient_accumulation_steps: 4, learning_rate: 5e-6 },
    peft: null,
    worldSize: 1,
    gpu: { name: "NVIDIA H100 80GB HBM3", memoryBytes: 80 * GiB },
    versions: { torch: "2.11", trl: "1.13.0" },
  };
  const memoryCache = () => {
    const m = new Map<string, Plan>();
    const cache: PlanCache = { get: async (k) => m.get(k) ?? null, set: async (k, p) => void m.set(k, p) };
    return { m, cache };
  };

  it("reuses a plan for the same fingerprint and probes again when the GPU changes", async () => {
    const { m, cache } = memoryCache();
    let searches = 0;
    const search = async () => (searches++, searchPlan(input(), fakeGpu(140).probe));
    const first = await planWithCache(cache, fp, search);
    const second = await planWithCache(
      cache,
      { ...fp, args: { learning_rate: 5e-6, gradient_accumulation_steps: 4, per_device_train_batch_size: 2 } },
      search,
    );
    assert.equal(first.cached, false);
    assert.equal(second.cached, true);
    assert.deepEqual(second.plan, first.plan);
    const other = await planWithCache(
      cache,
      { ...fp, gpu: { name: "NVIDIA A100-SXM4-40GB", memoryBytes: 40 * GiB } },
      search,
    );
    assert.equal(other.cached, false);
    assert.equal(searches, 2);
    assert.equal(m.size, 2);
  });

  it("keys on everything but the fields the plan itself sets", () => {
    const planned = {
      ...fp,
      args: {
        ...fp.args,
        per_device_train_batch_size: 8,
        gradient_accumulation_steps: 1,
        gradient_checkpointing: false,
      },
    };
    assert.equal(planKey(planned), planKey(fp));
    assert.notEqual(planKey({ ...fp, args: { ...fp.args, max_length: 2048 } }), planKey(fp));
    assert.notEqual(planKey({ ...fp, worldSize: 2 }), planKey(fp));
  });
});

describe("memory estimate", () => {
  // Qwen2-0.5B shape: 494M parameters, 24 layers, hidden 896, vocab 151,936
  const base: MemoryInput = {
    model: { params: 494e6, layers: 24, hidden: 896, vocab: 151_936 },
    weightBytes: 2,
    trainable: 494e6,
    optimizer: "adamw_torch",
    trainer: "dpo",
    lora: false,
    seqLen: 384,
    microBatch: 8,
    gradientCheckpointing: false,
    precomputeRef: false,
  };

  it("adds weights, gradients, AdamW moments, the DPO reference, activations and logits", () => {
    const e = estimateMemory(base);
    assert.equal(e.weights, 494e6 * 2);
    assert.equal(e.gradients, 494e6 * 2);
    assert.equal(e.optimizer, 494e6 * 4); // two moments in bf16
    assert.equal(e.reference, 494e6 * 2);
    // 16 rows x 384 tokens x 896 hidden x 34 bytes x 24 layers
    assert.equal(e.activations, 16 * 384 * 896 * 34 * 24);
    assert.equal(e.logits, 16 * 384 * 151_936 * 8);
    assert.equal(e.total, e.weights + e.gradients + e.optimizer + e.reference + e.activations + e.logits);
  });

  it("checkpointing, precompute and LoRA lower it", () => {
    const full = estimateMemory(base).total;
    assert.ok(
      estimateMemory({ ...base, gradientCheckpointing: true }).activations < estimateMemory(base).activations / 5,
    );
    assert.equal(estimateMemory({ ...base, precomputeRef: true }).reference, 0);
    const lora = estimateMemory({ ...base, lora: true, trainable: 4e6 });
    assert.equal(lora.reference, 0); // the adapter is disabled for the reference pass
    assert.ok(lora.total < full);
    assert.equal(estimateMemory({ ...base, optimizer: "adamw_bnb_8bit" }).optimizer, 494e6 * 2);
  });
});

describe("batch: auto in a recipe", () => {
  it("is accepted on a stage, and anything else is refused with a location", async () => {
    const { parseRecipe } = await import("../../../src/core/recipe/parse.js");
    const { RecipeError } = await import("../../../src/core/recipe/errors.js");
    const { parseVersion } = await import("../../../src/core/trl/version.js");
    const trl = { trl: parseVersion("1.13.0")! };
    const text = (batch: string) =>
      `name: r\nmodel: {name: m}\ndata: {train: d.jsonl}\nstages:\n  - {id: s, trainer: orpo, batch: ${batch}}\n`;
    assert.equal(parseRecipe(text("auto"), "r.yaml", trl).recipe.stages[0]!.batch, "auto");
    assert.throws(
      () => parseRecipe(text("8"), "r.yaml", trl),
      (e: unknown) => e instanceof RecipeError && /r\.yaml:5:\d+.*batch.*auto/s.test(e.message),
    );
  });
});

describe("memory headroom during a planned run", () => {
  it("warns when free memory falls under half the margin", async () => {
    const { lowHeadroom, headroomMessage } = await import("../../../src/core/plan/headroom.js");
    const gpu = (used: number) => ({ index: 0, name: "H100", util: 90, mem_used_mb: used, mem_total_mb: 80_000 });
    assert.equal(lowHeadroom([gpu(75_000)], 0.1), null); // 6.25% free: over half of 10%
    assert.equal(lowHeadroom([gpu(77_000)], 0.1)?.mem_used_mb, 77_000); // 3.75% free
    assert.match(
      headroomMessage("dpo", gpu(77_000), 0.1),
      /3\.[78]% of its memory free, under half the planner's 10% margin/,
    );
  });
});
