/**
 * `batch: auto` and `trellis plan`: the batch planner with real probes on this machine's GPU.
 * The search itself is pure (core/plan/search.ts); here are the facts it needs (GPU, model
 * shape), the probes (fresh processes) and the cache.
 */
import path from "node:path";
import { z } from "zod";
import { planWithCache, type PlanFingerprint } from "../core/plan/cache.js";
import { estimateMemory, type ModelShape } from "../core/plan/memory.js";
import { DEFAULT_MARGIN, searchPlan, type BatchConfig, type Plan } from "../core/plan/search.js";
import { canPrecomputeRef, planArgs, recipeBatch, referenceChoice } from "../core/plan/stage.js";
import type { Stage } from "../core/recipe/schema.js";
import { renderRecipe } from "../core/render/render.js";
import { resolveRecipe, type ResolvedStage } from "../core/recipe/resolve.js";
import { TRELLIS_VERSION } from "../adapters/package-files.js";
import { fileCache } from "../adapters/plan-cache.js";
import { runProbe } from "../adapters/plan-probe.js";
import { cacheRoot } from "../adapters/venv/index.js";
import { runPythonJson } from "../adapters/venv/run-python.js";
import type { LoadedRecipe } from "./load-recipe.js";

/** python/trellis_runtime/probes/plan_facts.py's answer: the GPU, its memory, the model's shape. */
const Facts = z.object({
  cuda: z.boolean(),
  torch: z.string().optional(),
  trl: z.string().optional(),
  transformers: z.string().optional(),
  name: z.string().optional(),
  memory: z.number().optional(),
  count: z.number().int().optional(),
  shape: z.object({ params: z.number(), layers: z.number(), hidden: z.number(), vocab: z.number() }).optional(),
});

type StagePlanResult =
  | {
      stage: string;
      kind: "planned";
      plan: Plan;
      cached: boolean;
      args: Record<string, unknown>;
      fingerprint: PlanFingerprint;
      /** How the reference pass is paid, and why (core/plan/stage.ts referenceChoice). */
      reference: string | null;
    }
  | { stage: string; kind: "nothing_to_plan"; reason: string };

/** TRL's default max_length for DPO, ORPO and SFT: the worst case when the recipe sets none. */
const TRL_MAX_LENGTH = 1024;
const WEIGHT_BYTES: Record<string, number> = { float32: 4, bfloat16: 2, float16: 2, auto: 2 };

/** Plans every stage given (stages with `batch: auto` for a run; all of them for `trellis plan`). */
export async function planStages(
  loaded: LoadedRecipe,
  python: string,
  stageIds: string[],
  log: (line: string) => void = () => {},
): Promise<StagePlanResult[]> {
  const model = loaded.recipe.model;
  const facts = await runPythonJson(
    python,
    "plan_facts",
    [model.name ?? "", model.trust_remote_code ? "1" : "0"],
    Facts,
  );
  if (!facts.cuda || !facts.name || !facts.memory) {
    return stageIds.map((stage) => ({
      stage,
      kind: "nothing_to_plan",
      reason: "no GPU here: the planner has nothing to plan (the recipe's batch is used as written)",
    }));
  }
  const results: StagePlanResult[] = [];
  for (const id of stageIds) {
    const resolvedStage = loaded.resolved.stages.find((s) => s.stage.id === id)!;
    const stage = resolvedStage.stage;
    if (!facts.shape) {
      results.push({ stage: id, kind: "nothing_to_plan", reason: "a tiny test model: nothing to plan" });
      continue;
    }
    const batch = recipeBatch(stage);
    const worldSize = 1; // trellis launches one process per stage today
    const seqLen = typeof stage.args.max_length === "number" ? stage.args.max_length : TRL_MAX_LENGTH;
    const shape: ModelShape = facts.shape;
    const lora = stage.peft !== undefined;
    const loraParams = lora ? estimateLoraParams(shape, stage.peft!.r) : shape.params;
    const estimate = (c: BatchConfig) =>
      estimateMemory({
        model: shape,
        weightBytes: WEIGHT_BYTES[model.dtype] ?? 2,
        trainable: loraParams,
        optimizer: typeof stage.args.optim === "string" ? stage.args.optim : "adamw_torch",
        trainer: stage.trainer,
        lora,
        seqLen,
        microBatch: c.microBatch,
        gradientCheckpointing: c.gradientCheckpointing,
        precomputeRef: c.precomputeRef,
      });
    const fingerprint = fingerprintOf(loaded, resolvedStage, { seqLen, worldSize }, facts);
    const render = (c: BatchConfig) => renderProbeStage(loaded, resolvedStage, c);
    const { plan, cached } = await planWithCache(fileCache(path.join(cacheRoot(), "plans")), fingerprint, () =>
      searchPlan(
        {
          perProcessBatch: batch.perProcessBatch,
          worldSize,
          canPrecomputeRef: canPrecomputeRef(stage),
          capacityBytes: facts.memory!,
          margin: DEFAULT_MARGIN,
          estimate,
        },
        async (c) => {
          log(
            `  probing ${c.microBatch} x ${c.accumulation}, checkpointing ${c.gradientCheckpointing ? "on" : "off"}${c.precomputeRef ? ", precomputed reference" : ""}`,
          );
          return runProbe(python, render, c);
        },
      ),
    );
    const args = planArgs(plan.chosen, stage.trainer);
    const reference = referenceChoice(stage, plan.chosen);
    results.push({ stage: id, kind: "planned", plan, cached, args, fingerprint, reference });
  }
  return results;
}

/** What a cached plan holds for: the model, the stage, the GPU and the versions (core/plan/cache.ts). */
function fingerprintOf(
  loaded: LoadedRecipe,
  resolvedStage: ResolvedStage,
  shape: { seqLen: number; worldSize: number },
  facts: z.infer<typeof Facts>,
): PlanFingerprint {
  const model = loaded.recipe.model;
  const stage = resolvedStage.stage;
  return {
    model: `${model.name}@${model.revision ?? ""}`,
    dtype: model.dtype,
    trainer: stage.trainer,
    data: JSON.stringify(resolvedStage.data.train),
    seqLen: shape.seqLen,
    args: stage.args,
    peft: stage.peft ?? null,
    worldSize: shape.worldSize,
    gpu: { name: facts.name ?? "", memoryBytes: facts.memory ?? 0 },
    versions: {
      torch: facts.torch ?? "",
      trl: facts.trl ?? "",
      transformers: facts.transformers ?? "",
      trellis: TRELLIS_VERSION,
    },
  };
}

/** LoRA on all linear layers of a transformer: about r x (in + out) per matrix, 7 per layer. */
function estimateLoraParams(shape: ModelShape, r: number): number {
  const MATRICES_PER_LAYER = 7;
  return shape.layers * MATRICES_PER_LAYER * r * 2 * shape.hidden;
}

function renderProbeStage(loaded: LoadedRecipe, stage: ResolvedStage, c: BatchConfig) {
  // A probe starts from the recipe's model: an earlier stage's output does not exist yet, and it
  // has the same shape.
  const withArgs: Stage = {
    ...stage.stage,
    from: undefined,
    args: { ...stage.stage.args, ...planArgs(c, stage.stage.trainer) },
  };
  const recipe = {
    ...loaded.recipe,
    preference_eval: false as const,
    stages: loaded.recipe.stages.map((s) => (s.id === withArgs.id ? withArgs : s)),
  };
  const resolved = resolveRecipe(recipe, loaded.file, path.join(cacheRoot(), "plans", "probe-output"));
  const rendered = renderRecipe(resolved, loaded.trl, TRELLIS_VERSION);
  return rendered.find((r) => r.id === stage.stage.id)!;
}
