/**
 * runs/<id>/manifest.json: everything needed to tell later exactly what produced a run —
 * versions, hashes of the recipe, scripts and data, the environment's packages, the machine,
 * seeds, the command line, times, the outcome and the batch plan each stage really used.
 * Written when the run is prepared, completed by the supervisor when it ends.
 */
import { z } from "zod";
import path from "node:path";
import type { RunEvent } from "../core/events/protocol.js";
import type { ResolvedRecipe } from "../core/recipe/resolve.js";
import { localDataFiles } from "../core/recipe/resolve.js";
import type { RenderedStage } from "../core/render/render.js";
import type { ThroughputAverage } from "../core/perf/average.js";
import { TRELLIS_VERSION } from "../adapters/package-files.js";
import { cachedFileDigest } from "../adapters/digest-cache.js";
import { sha256Text } from "../adapters/hash.js";
import { gitState } from "../adapters/git-state.js";
import { probeGpus } from "../adapters/gpu-probe.js";
import { probePython, type PythonFacts } from "../adapters/python-probe.js";
import { readManifestFile, runFiles, writeManifestFile } from "../adapters/run-dir.js";
import { readAllEvents } from "../adapters/event-file.js";
import { initialState, reduce, stageSeconds } from "../core/run/state.js";
import type { ExtraRecord } from "./extras.js";

/** How long the end of a run waits for the initial manifest (its subprocesses take well under this). */
const MANIFEST_WAIT_MS = 30_000;
const MANIFEST_POLL_MS = 50;

type EnvironmentFacts = PythonFacts & { driver: string | null };

/**
 * Python, torch, CUDA, GPUs and every installed package of the environment, and the driver.
 * `fresh`: the packages probed now, not from the cache (src/adapters/python-probe.ts).
 */
export async function environmentFacts(python: string, opts: { fresh?: boolean } = {}): Promise<EnvironmentFacts> {
  const [facts, gpus] = await Promise.all([probePython(python, opts), probeGpus()]);
  return { ...facts, gpus: facts.gpus?.length ? facts.gpus : gpus.names, driver: gpus.driver };
}

interface InitialManifestInput {
  runDir: string;
  recipeFile: string;
  recipeText: string;
  resolved: ResolvedRecipe;
  rendered: RenderedStage[];
  python: string;
  venv: string;
  lockSha256: string;
  /** The extras installed on top of the lock, each with its lock's hash and pins. */
  extras: ExtraRecord[];
  /** The batch planner's results for `batch: auto` stages: probe table, estimates, fingerprint. */
  batchPlans?: unknown[];
  /** Engine, nodes, world size and the per-process and effective batch of each stage. */
  launch?: unknown;
}

export async function writeInitialManifest(i: InitialManifestInput): Promise<void> {
  const [environment, git] = await Promise.all([
    environmentFacts(i.python),
    gitState(path.dirname(path.resolve(i.recipeFile))),
  ]);
  const seen = new Set<string>();
  const data = [];
  for (const { file } of localDataFiles(i.resolved)) {
    if (seen.has(file)) continue;
    seen.add(file);
    const digest = await cachedFileDigest(file);
    if (!digest) throw new Error(`${file} is gone: it was there when the recipe was checked`);
    data.push({ file, ...digest });
  }
  const resolvedRecipe = JSON.parse(JSON.stringify(i.resolved.recipe)) as unknown;
  const manifest = {
    manifest_version: 1,
    trellis_version: TRELLIS_VERSION,
    command: process.argv.slice(1),
    cwd: process.cwd(),
    recipe: {
      file: path.resolve(i.recipeFile),
      sha256: sha256Text(i.recipeText),
      resolved: resolvedRecipe,
      resolved_sha256: sha256Text(JSON.stringify(resolvedRecipe)),
    },
    git,
    scripts: i.rendered.map((s) => ({
      stage: s.id,
      trainer: s.trainer,
      file: `scripts/${s.script.name}`,
      sha256: sha256Text(s.script.text),
      spec_file: `scripts/${s.spec.name}`,
      spec_sha256: sha256Text(`${JSON.stringify(s.spec.value, null, 2)}\n`),
    })),
    environment: { venv: i.venv, lock_sha256: i.lockSha256, extras: i.extras, ...environment },
    data: { files: data, hub: [] as unknown[] },
    seeds: {
      recipe: i.resolved.recipe.seed,
      stages: Object.fromEntries(i.rendered.map((s) => [s.id, s.spec.value.args.seed])),
    },
    plan: [] as unknown[],
    batch_plans: i.batchPlans ?? [],
    launch: i.launch ?? null,
    started_at: new Date().toISOString(),
    ended_at: null as string | null,
    status: "running",
    exit_code: null as number | null,
  };
  writeManifestFile(i.runDir, manifest);
}

/** The initial manifest as finalizeManifest reads it: the lists it extends typed, the rest kept as written. */
const ManifestToFinish = z
  .object({
    data: z.object({ hub: z.array(z.unknown()) }).loose(),
    models: z.array(z.unknown()).optional(),
    plan: z.array(z.unknown()),
  })
  .loose();

/** Adds what is only known at the end: outcome, times, model/dataset revisions, the plan used. */
export async function finalizeManifest(
  runDir: string,
  provenance: ReadonlyArray<Extract<RunEvent, { type: "provenance" }>>,
  end: { status: string; exitCode: number },
  throughput: ThroughputAverage[] = [],
): Promise<void> {
  // The initial manifest is written while the first stage starts: a stage that fails at once
  // can end before it is there.
  const deadline = Date.now() + MANIFEST_WAIT_MS;
  let recorded = readManifestFile(runDir);
  while (recorded === undefined && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, MANIFEST_POLL_MS));
    recorded = readManifestFile(runDir);
  }
  if (recorded === undefined) return; // `trellis run` was killed before writing it
  const manifest = ManifestToFinish.parse(recorded);
  // A resumed run's supervisor saw only the stages it ran: the earlier ones keep their record.
  const ran = new Set(provenance.map((p) => p.stage));
  const kept = (recorded: unknown) =>
    (Array.isArray(recorded) ? (recorded as Array<{ stage?: string }>) : []).filter((x) => !ran.has(x.stage ?? ""));
  manifest.data.hub = [
    ...kept(manifest.data.hub),
    ...provenance.flatMap((p) => p.datasets.map((d) => ({ stage: p.stage, ...d }))),
  ];
  manifest.models = [...kept(manifest.models), ...provenance.map((p) => ({ stage: p.stage, ...p.model }))];
  manifest.plan = [...kept(manifest.plan), ...provenance.map((p) => ({ stage: p.stage, ...p.plan }))];
  // Averages over each stage's training time (tokens/s counts real tokens; MFU null: unknown).
  manifest.throughput = throughput;
  manifest.stages = await stageCosts(runDir);
  manifest.ended_at = new Date().toISOString();
  manifest.status = end.status;
  manifest.exit_code = end.exitCode;
  writeManifestFile(runDir, manifest);
}

/**
 * Each stage's time and cost, summed over the segments of a stopped and resumed run: seconds
 * from its start to its end, and the wall, CPU and device seconds and tokens its processes report.
 */
async function stageCosts(runDir: string): Promise<unknown[]> {
  let events;
  try {
    events = await readAllEvents(runFiles(runDir).events);
  } catch {
    return []; // a damaged events file must not keep the outcome from the manifest
  }
  const state = events.reduce(reduce, initialState);
  const now = Date.now() / 1000;
  return state.stages.map((s) => ({
    stage: s.id,
    status: s.status,
    seconds: stageSeconds(s, s.endedAt ?? now),
    usage: s.usage,
  }));
}

/**
 * `trellis eval` of this run: the manifest lists each evaluation (its folder, the judge, the judge
 * prompt's sha256, the versions and the seed; eval.json there has the prompt's text), so the run's
 * record says what its win rates were measured with. Never a key: only its variable's name.
 */
export function recordEvaluation(runDir: string, evaluation: Record<string, unknown>): void {
  const manifest = readManifestFile(runDir) as { evaluations?: unknown[] } | undefined;
  if (!manifest) return;
  manifest.evaluations = [...(manifest.evaluations ?? []), evaluation];
  writeManifestFile(runDir, manifest);
}
