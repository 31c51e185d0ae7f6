/**
 * The first half of `trellis run`: everything checked before any Python starts, the environment
 * prepared, a new run directory rendered with its launch.json and manifest. A supervisor runs
 * it next (start-detached.ts, or in this process with --foreground).
 */
import path from "node:path";
import { stringify } from "yaml";
import { resolveRecipe, type ResolvedRecipe } from "../core/recipe/resolve.js";
import { localModelFolder } from "../adapters/model-files.js";
import { renderRecipe } from "../core/render/render.js";
import { sha256Text } from "../adapters/hash.js";
import { lockSha256, TRELLIS_VERSION } from "../adapters/package-files.js";
import { copySourceConfig, createRunDir, writePlanFile, writeRecipeCopies, writeScripts } from "../adapters/run-dir.js";
import { lockRunDir } from "../adapters/run-lock.js";
import { isLoopback } from "../adapters/ws-server.js";
import { writePreparedRun, type PreparedRun } from "./prepared-run.js";
import { importIfForeign } from "./import.js";
import { checkRecipePackages, extraRecords } from "./extras.js";
import { displayPath, loadRecipe, type LoadedRecipe } from "./load-recipe.js";
import { checkModelAvailable } from "./check-model.js";
import { claimOutputFolderFor } from "./output-folder.js";
import { writeInitialManifest } from "./manifest.js";
import { LaunchError, resolveDistributed, type LaunchFlags } from "../core/distributed/resolve.js";
import { effectiveBatch } from "../core/distributed/command.js";
import { trlProfileFile, visibleGpus } from "../adapters/visible-gpus.js";
import { checkSlurmOptions, type SlurmOptions } from "../core/distributed/slurm.js";
import { writeSlurmScripts } from "../adapters/slurm-files.js";

export interface PreparedEnvironment {
  python: string;
  dir: string;
  installed: boolean;
}

interface PrepareOptions {
  recipeFile: string;
  runsDir: string;
  /** Creates or reuses the managed Python environment, with these extras (recipe and --extra, checked). */
  environment: (extras: string[]) => Promise<PreparedEnvironment>;
  /** `--extra` names, added to the recipe's `extras`. */
  extras?: string[];
  host?: string;
  port?: number;
  allowOrigins?: string[];
  /** The recipe's text, read as if it were `recipeFile`'s (reproduce runs a recorded copy). */
  recipeText?: string;
  /** Render for this TRL (the user's own environment's, with `--env`); default the lock's pin. */
  trlVersion?: string;
  /** `--processes-per-node`, `--nodes`, `--node-rank`, `--rendezvous`, `--engine`: over the recipe's launch block. */
  launchFlags?: LaunchFlags;
  /** `trellis run --slurm`: every stage runs as a Slurm job across these nodes. */
  slurm?: SlurmOptions;
}

/**
 * The stage runs in the run's scripts/ folder: a model folder named relative to the working
 * directory or to the recipe (as `check` finds it) reaches the stage as an absolute path.
 */
function withLocalModelFolder(resolved: ResolvedRecipe): ResolvedRecipe {
  const { name } = resolved.recipe.model;
  const folder = name && !path.isAbsolute(name) ? localModelFolder(name, resolved.recipeDir) : null;
  if (!folder) return resolved;
  return { ...resolved, recipe: { ...resolved.recipe, model: { ...resolved.recipe.model, name: folder } } };
}

/** What a run says as it starts: the planner's notices, a config imported on the fly, remote code. */
function startNotices(
  planned: PreparedRun["notices"],
  recipeFile: string,
  imported: { format: string } | undefined,
  loaded: LoadedRecipe,
): PreparedRun["notices"] {
  const notices = [...planned];
  if (imported) {
    notices.push({
      code: "imported",
      message: `${path.basename(recipeFile)} is a ${imported.format} config: imported on the fly (recipe.yaml in the run directory; \`trellis import\` reports each key)`,
    });
  }
  if (loaded.recipe.model.trust_remote_code) {
    notices.push({
      code: "trust_remote_code",
      message: `model.trust_remote_code is on: Python code shipped with '${loaded.recipe.model.name}' will run on this machine`,
    });
  }
  return notices;
}

export async function prepareRun(o: PrepareOptions): Promise<PreparedRun & { manifestWritten: Promise<void> }> {
  // A TRL, alignment-handbook, axolotl or LLaMA-Factory config runs as is, imported on the fly.
  const imported = o.recipeText === undefined ? await importIfForeign(o.recipeFile, o.trlVersion) : undefined;
  // Validate first: a bad recipe or data file leaves no run directory behind.
  const loaded = await loadRecipe(
    o.recipeFile,
    path.resolve(o.runsDir, "pending", "output"),
    o.trlVersion,
    o.recipeText ?? imported?.yamlText,
  );
  // A tracker or optimizer whose package the environment lacks fails here, before any install or Python.
  const extras = checkRecipePackages(loaded, o.extras ?? []);
  // A Hub model this machine can neither find nor download fails here, in seconds, before any Python.
  await checkModelAvailable(loaded);
  const env = await o.environment(extras);
  const planned = await planAutoStages(loaded, env.python);
  if (o.slurm) checkSlurmOptions(o.slurm);
  const distributed = await distributedOf(
    loaded.recipe,
    o.recipeFile,
    slurmFlags(o.launchFlags ?? {}, o.slurm),
    env.python,
  );

  const runDir = createRunDir(o.runsDir, loaded.recipe.name);
  // Held by this process, then by the supervisor, until the run ends: one writer of the folder.
  lockRunDir(runDir.dir, env.python, "run");
  if (planned.plans.length) writePlanFile(runDir.dir, planned.plans);
  const resolved = withLocalModelFolder(resolveRecipe(planned.recipe, o.recipeFile, path.join(runDir.dir, "output")));
  claimOutputFolderFor(loaded, displayPath(o.recipeFile), resolved.outputDir, runDir);
  writeRecipeCopies(runDir.dir, loaded.text, stringify(loaded.recipe));
  const rendered = renderRecipe(resolved, loaded.trl, TRELLIS_VERSION, {
    specDir: runDir.scriptsDir,
    ownDir: runDir.dir,
  });
  writeScripts(runDir.scriptsDir, rendered);
  if (o.slurm && distributed)
    writeSlurmScripts({
      runDir: runDir.dir,
      scriptsDir: runDir.scriptsDir,
      runId: runDir.id,
      python: env.python,
      d: distributed,
      slurm: o.slurm,
      stages: rendered.map((s) => ({ id: s.id, script: s.script.name })),
    });

  if (imported) copySourceConfig(runDir.dir, o.recipeFile);
  const notices = startNotices(planned.notices, o.recipeFile, imported, loaded);
  const prepared: PreparedRun = {
    runId: runDir.id,
    runDir: runDir.dir,
    recipeName: loaded.recipe.name,
    python: env.python,
    venv: env.dir,
    installed: env.installed,
    stages: rendered.map((s) => ({ id: s.id, trainer: s.trainer, script: s.script.name })),
    notices,
    host: o.host ?? "127.0.0.1",
    port: o.port ?? 0,
    allowOrigins: o.allowOrigins ?? [],
    recipeFile: path.resolve(o.recipeFile),
    recipeSha256: sha256Text(loaded.text),
    lockSha256: lockSha256(),
    ...(distributed ? { distributed } : {}),
    ...(o.slurm ? { slurm: { ...o.slurm } } : {}),
    plannedMargins: Object.fromEntries(
      planned.plans.flatMap((p) => (p.kind === "planned" ? [[p.stage, p.plan.margin]] : [])),
    ),
  };
  writePreparedRun(prepared);
  // The manifest's facts (packages, git state, GPUs) take a few hundred ms of subprocesses: they
  // are gathered while the supervisor and the first stage start. Callers await manifestWritten.
  const manifestWritten = writeInitialManifest({
    runDir: runDir.dir,
    recipeFile: o.recipeFile,
    recipeText: loaded.text,
    resolved,
    rendered,
    python: env.python,
    venv: env.dir,
    lockSha256: prepared.lockSha256,
    extras: extraRecords(extras),
    batchPlans: planned.plans,
    launch: launchRecord(distributed, rendered),
  });
  manifestWritten.catch(() => {}); // reported where it is awaited
  return { ...prepared, manifestWritten };
}

/** Under Slurm: its nodes, one process per GPU of each (one on a CPU allocation). */
export function slurmFlags(flags: LaunchFlags, slurm: SlurmOptions | undefined): LaunchFlags {
  if (!slurm) return flags;
  return {
    ...flags,
    slurm: true,
    gpusPerNode: slurm.gpusPerNode,
    nodes: slurm.nodes,
    processesPerNode: flags.processesPerNode ?? Math.max(1, slurm.gpusPerNode),
  };
}

/** The launch every stage runs with (null: one plain process), from the recipe and the flags. */
export async function distributedOf(
  recipe: Awaited<ReturnType<typeof loadRecipe>>["recipe"],
  recipeFile: string,
  flags: LaunchFlags,
  python: string,
) {
  // Under Slurm the login node's GPUs say nothing: the allocation's are asked for.
  const gpus = flags.slurm ? (flags.gpusPerNode ?? 0) : await visibleGpus();
  const resolved = resolveDistributed(recipe.launch, flags, gpus);
  if (!resolved) return undefined;
  const d = {
    ...resolved,
    configFile: resolved.configFile && path.resolve(path.dirname(path.resolve(recipeFile)), resolved.configFile),
  };
  // accelerate refuses --cpu with --multi_gpu, and --cpu alone starts one process (docs/design/TRL_FACTS.md).
  if (d.engine === "accelerate" && gpus === 0 && !d.profile && !d.configFile && d.worldSize > 1)
    throw new LaunchError(
      "accelerate starts several processes on a CPU only with a profile or config file (its --cpu --multi_gpu is refused): use engine torchrun, or a GPU",
    );
  return { ...d, cpu: gpus === 0, ...(d.profile ? { profileFile: await trlProfileFile(python, d.profile) } : {}) };
}

/** For the manifest: world size, nodes and the batch of each process and of each optimizer step. */
function launchRecord(d: Awaited<ReturnType<typeof distributedOf>>, rendered: ReturnType<typeof renderRecipe>) {
  const worldSize = d?.worldSize ?? 1;
  return {
    engine: d ? d.engine : "python",
    profile: d?.profile ?? null,
    config_file: d?.configFile ?? null,
    nodes: d?.nodes ?? 1,
    processes_per_node: d?.processesPerNode ?? 1,
    world_size: worldSize,
    slurm: d?.slurm ?? false,
    stages: rendered.map((s) => {
      const b = effectiveBatch(s.spec.value.args, worldSize);
      return {
        stage: s.id,
        per_process_batch: b.microBatch,
        accumulation: b.accumulation,
        effective_batch: b.effective,
      };
    }),
  };
}

/** Stages with `batch: auto` get the planner's batch fields; on a CPU they keep the recipe's. */
async function planAutoStages(loaded: Awaited<ReturnType<typeof loadRecipe>>, python: string) {
  const auto = loaded.recipe.stages.filter((s) => s.batch === "auto").map((s) => s.id);
  if (!auto.length) return { recipe: loaded.recipe, plans: [], notices: [] };
  const { planStages } = await import("./plan.js");
  const results = await planStages(loaded, python, auto);
  const notices = results.flatMap((r) =>
    r.kind === "nothing_to_plan"
      ? [{ code: "batch_plan", message: `stage '${r.stage}' has batch: auto, but ${r.reason}` }]
      : [
          {
            code: "batch_plan",
            message: `stage '${r.stage}': batch planned${r.cached ? " (cached)" : ""}: micro-batch ${r.plan.chosen.microBatch} x ${r.plan.chosen.accumulation}, checkpointing ${r.plan.chosen.gradientCheckpointing ? "on" : "off"} (${Math.round(r.plan.chosen.tokensPerSec)} tokens/s in the probe)`,
          },
        ],
  );
  const args = new Map(results.flatMap((r) => (r.kind === "planned" ? [[r.stage, r.args] as const] : [])));
  const recipe = {
    ...loaded.recipe,
    stages: loaded.recipe.stages.map((s) => (args.has(s.id) ? { ...s, args: { ...s.args, ...args.get(s.id) } } : s)),
  };
  return { recipe, plans: results, notices };
}

export function hostWarning(host: string): string | undefined {
  return isLoopback(host)
    ? undefined
    : `warning: the run's websocket listens on ${host}: anyone who can reach it and has the token (runs/<id>/token) can stop the run. Prefer an SSH tunnel to 127.0.0.1.`;
}
