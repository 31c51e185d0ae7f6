/**
 * runs/<id>/manifest.json: everything needed to tell later exactly what produced a run —
 * versions, hashes of the recipe, scripts and data, the environment's packages, the machine,
 * seeds, the command line, times, the outcome and the batch plan each stage really used.
 * Written when the run is prepared, completed by the supervisor when it ends.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { z } from "zod";
import type { RunEvent } from "../core/events/protocol.js";
import type { ResolvedRecipe } from "../core/recipe/resolve.js";
import { localDataFiles } from "../core/recipe/resolve.js";
import type { RenderedStage } from "../core/render/render.js";
import type { ThroughputAverage } from "../core/perf/average.js";
import { TRELLIS_VERSION } from "../adapters/package-files.js";
import { runPythonJson } from "../adapters/venv/run-python.js";
import { parseNvidiaSmi } from "../adapters/gpu-sampler.js";
import type { ExtraRecord } from "./extras.js";

export const manifestFile = (runDir: string) => path.join(runDir, "manifest.json");
/** How long the end of a run waits for the initial manifest (its subprocesses take well under this). */
const MANIFEST_WAIT_MS = 30_000;
export const sha256Text = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

// Read from package metadata and torch/version.py, without importing torch: an import costs
// seconds of CPU before the first stage can start. GPU names come from nvidia-smi.
const PACKAGES_SNIPPET = `import json, platform, re, sys, importlib.metadata as md
pkgs = {d.metadata["Name"]: d.version for d in md.distributions() if d.metadata["Name"]}
out = {"python": sys.version.split()[0], "platform": platform.platform(), "packages": dict(sorted(pkgs.items(), key=lambda kv: kv[0].lower()))}
try:
    dist = md.distribution("torch")
    out["torch"] = dist.version
    text = dist.locate_file("torch/version.py").read_text()
    m = re.search(r"^cuda\\b[^=]*=(.+)$", text, re.M)
    value = m.group(1).strip().strip(chr(39) + chr(34)) if m else "None"
    out["cuda"] = None if value == "None" else value
    cudnn = next((v for k, v in pkgs.items() if k.lower().startswith("nvidia-cudnn")), None)
    out["cudnn"] = cudnn
except Exception as e:
    out["torch_error"] = f"{type(e).__name__}: {e}"
print(json.dumps(out))`;
const EnvironmentFacts = z.object({
  python: z.string(),
  platform: z.string(),
  packages: z.record(z.string(), z.string()),
  torch: z.string().optional(),
  cuda: z.string().nullish(),
  /** The cuDNN wheel's version (nvidia-cudnn-*), when torch came with one. */
  cudnn: z.union([z.string(), z.number()]).nullish(),
  gpus: z.array(z.string()).optional(),
  torch_error: z.string().optional(),
});
export type EnvironmentFacts = z.infer<typeof EnvironmentFacts>;

/** Python, torch, CUDA, GPUs and every installed package of the environment, and the driver. */
export async function environmentFacts(python: string): Promise<EnvironmentFacts & { driver: string | null }> {
  const facts = await runPythonJson(python, PACKAGES_SNIPPET, [], EnvironmentFacts);
  const smi = await execa(
    "nvidia-smi",
    ["--query-gpu=index,name,utilization.gpu,memory.used,memory.total,driver_version", "--format=csv,noheader,nounits"],
    { reject: false, timeout: 10_000 },
  );
  const driver = smi.exitCode === 0 ? (String(smi.stdout).split("\n")[0]?.split(",").at(-1)?.trim() ?? null) : null;
  return {
    ...facts,
    gpus: facts.gpus?.length ? facts.gpus : parseNvidiaSmi(String(smi.stdout ?? "")).map((g) => g.name),
    driver,
  };
}

/** The git commit and dirty state of the repository holding `dir`, if it is in one. */
export async function gitState(dir: string): Promise<{ repo: string; commit: string; dirty: boolean } | null> {
  const top = await execa("git", ["-C", dir, "rev-parse", "--show-toplevel"], { reject: false });
  if (top.exitCode !== 0) return null;
  const commit = await execa("git", ["-C", dir, "rev-parse", "HEAD"], { reject: false });
  const status = await execa("git", ["-C", dir, "status", "--porcelain"], { reject: false });
  return {
    repo: String(top.stdout).trim(),
    commit: commit.exitCode === 0 ? String(commit.stdout).trim() : "(no commits)",
    dirty: String(status.stdout).trim().length > 0,
  };
}

export interface InitialManifestInput {
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
    data.push({ file, bytes: statSync(file).size, sha256: await sha256File(file) });
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
  writeFileSync(`${manifestFile(i.runDir)}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${manifestFile(i.runDir)}.tmp`, manifestFile(i.runDir));
}

/** Adds what is only known at the end: outcome, times, model/dataset revisions, the plan used. */
export async function finalizeManifest(
  runDir: string,
  provenance: Array<Extract<RunEvent, { type: "provenance" }>>,
  end: { status: string; exitCode: number },
  throughput: ThroughputAverage[] = [],
): Promise<void> {
  // The initial manifest is written while the first stage starts: a stage that fails at once
  // can end before it is there.
  const deadline = Date.now() + MANIFEST_WAIT_MS;
  while (!existsSync(manifestFile(runDir)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(manifestFile(runDir))) return; // `trellis run` was killed before writing it
  const manifest = JSON.parse(readFileSync(manifestFile(runDir), "utf8")) as Record<string, unknown> & {
    data: { hub: unknown[] };
    plan: unknown[];
  };
  manifest.data.hub = provenance.flatMap((p) => p.datasets.map((d) => ({ stage: p.stage, ...d })));
  (manifest as Record<string, unknown>).models = provenance.map((p) => ({ stage: p.stage, ...p.model }));
  manifest.plan = provenance.map((p) => ({ stage: p.stage, ...p.plan }));
  // Averages over each stage's training time (tokens/s counts real tokens; MFU null: unknown).
  (manifest as Record<string, unknown>).throughput = throughput;
  manifest.ended_at = new Date().toISOString();
  manifest.status = end.status;
  manifest.exit_code = end.exitCode;
  writeFileSync(manifestFile(runDir), `${JSON.stringify(manifest, null, 2)}\n`);
}
