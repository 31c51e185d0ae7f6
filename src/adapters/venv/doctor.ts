import { readdir } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import { EnvironmentError } from "./errors.js";
import { extrasLayout, type ExtraLock } from "./extras-venv.js";
import { normalizeName, parsePins, stripLocalVersion } from "./requirements-lock.js";
import { markerMatches, readMarker } from "./marker.js";
import { exists, venvPython, venvsRoot } from "./paths.js";
import { environmentLayout, type EnvironmentLayout, type LayoutOptions } from "./layout.js";
import { runPythonJson } from "./run-python.js";
import { probeDriver } from "./driver.js";
import { cudaFitProblem } from "../../core/env/torch-backend.js";

/** The packages a TRL run cannot do without; always listed, pinned or not. */
export const KEY_PACKAGES = ["torch", "transformers", "trl", "peft", "datasets", "accelerate"] as const;
const SETUP = "run `trellis env setup`";
const REBUILD = "run `trellis env setup --force` to rebuild it";

export interface PackageCheck {
  name: string;
  wanted?: string;
  found?: string;
  status: "ok" | "missing" | "mismatch";
}

export interface DoctorReport {
  python: { path: string; version: string };
  venv: { dir: string; key: string; ok: boolean };
  packages: PackageCheck[];
  /** The extras asked for, each with its top-level packages as installed. */
  extras: Array<{ name: string; packages: PackageCheck[] }>;
  /** Sets of extras with a finished venv layered on this base (each a sorted list of names). */
  builtExtras: string[][];
  torch: { version?: string; cuda: boolean; cudaVersion?: string; gpus: string[] };
  /** The NVIDIA driver (from nvidia-smi), when there is one, and whether torch's CUDA build runs on it. */
  driver?: { cuda: string; driver?: string; fits: boolean };
  /** The torch backend whose lock the environment is checked against, when picked by backend. */
  torchBackend?: string;
  /** One line per problem, each saying how to fix it; empty when all is well. */
  problems: string[];
}

export interface DoctorOptions extends LayoutOptions {
  logger?: Logger;
  /** Check the venv of these extras (layered on the base) instead of the base venv. */
  extras?: ExtraLock[];
}

// One run of the venv's python (python/trellis_runtime/probes/versions.py): installed versions
// from metadata, and what torch sees.
const Answer = z.object({
  version: z.string(),
  packages: z.record(z.string(), z.string().nullable()),
  torch: z.object({
    version: z.string().optional(),
    cuda: z.boolean(),
    cudaVersion: z.string().nullish(),
    gpus: z.array(z.string()),
    error: z.string().optional(),
  }),
});

/** Checks the managed environment against the lock: python, the key packages, torch and its GPUs. */
export async function doctor(opts: DoctorOptions, env: NodeJS.ProcessEnv = process.env): Promise<DoctorReport> {
  const [report, driver] = await Promise.all([doctorVenv(opts, env), probeDriver(env)]);
  const backend = opts.torchBackend ? { torchBackend: opts.torchBackend } : {};
  if (!driver) return { ...report, ...backend };
  const fit = report.torch.version === undefined ? undefined : cudaFitProblem(driver.cuda, report.torch.cudaVersion);
  return {
    ...report,
    ...backend,
    driver: { ...driver, fits: fit === undefined },
    problems: fit ? [...report.problems, fit] : report.problems,
  };
}

async function doctorVenv(opts: DoctorOptions, env: NodeJS.ProcessEnv): Promise<DoctorReport> {
  const layout = await environmentLayout(opts, env);
  const withExtras = opts.extras?.length ? extrasLayout(layout, opts.extras) : undefined;
  // The venv in question: the extras one when extras are asked for (it sees the base's packages too).
  const target = withExtras ?? layout;
  const pins = new Map(
    [...parsePins(layout.lockText), ...parsePins(withExtras?.lockText ?? "")].map((p) => [
      normalizeName(p.name),
      p.version,
    ]),
  );
  if (layout.reuseTorchFrom !== undefined) pins.delete("torch"); // Borrowed, not installed: reported, not compared.
  const extrasPins = new Set(parsePins(withExtras?.lockText ?? "").map((p) => normalizeName(p.name)));
  const rebuild = withExtras
    ? `run \`trellis env setup --force ${withExtras.extras.map((e) => `--extra ${e.name}`).join(" ")}\` to rebuild it`
    : REBUILD;
  const python = venvPython(target.dir);
  const venv = { dir: target.dir, key: target.key, ok: false };
  const builtExtras = await extrasBuiltOn(layout);
  const extrasOf = (found: (name: string) => string | undefined) =>
    (withExtras?.extras ?? []).map((e) => ({
      name: e.name,
      packages: e.requires.map((r) => check(normalizeName(r), pins.get(normalizeName(r)), found(normalizeName(r)))),
    }));
  if (!(await exists(python))) {
    return {
      python: { path: layout.basePython, version: layout.basePythonVersion },
      venv,
      packages: KEY_PACKAGES.map((name) => check(name, pins.get(name), undefined)),
      extras: extrasOf(() => undefined),
      builtExtras,
      torch: { cuda: false, gpus: [] },
      problems: [`no Python environment at ${target.dir}: ${setupCommand(withExtras?.extras)}`],
    };
  }
  const problems: string[] = [];
  const marker = await readMarker(target.dir);
  venv.ok = markerMatches(marker, target.key, target.lockSha256);
  if (!venv.ok) problems.push(markerProblem(target.dir, marker !== undefined, setupCommand(withExtras?.extras)));
  let answer: z.infer<typeof Answer>;
  try {
    const names = [...new Set([...KEY_PACKAGES, ...pins.keys()])];
    answer = await runPythonJson(python, "versions", [JSON.stringify(names), "--torch"], Answer, opts.signal);
  } catch (error) {
    if (!(error instanceof EnvironmentError) || error.isCanceled) throw error;
    opts.logger?.warn({ err: error }, "the environment's python does not run");
    venv.ok = false;
    return {
      python: { path: python, version: "?" },
      venv,
      packages: [],
      extras: extrasOf(() => undefined),
      builtExtras,
      torch: { cuda: false, gpus: [] },
      problems: [...problems, `${error.message}: ${rebuild}`],
    };
  }
  const found = (name: string) =>
    (name === "torch" ? answer.torch.version : undefined) ?? answer.packages[name] ?? undefined;
  // Every key package, then any other pin that is off (so a hand-edited venv shows up).
  const packages = KEY_PACKAGES.map((name) => check(name, pins.get(name), found(name)));
  for (const [name, wanted] of pins) {
    const c = check(name, wanted, found(name));
    if (c.status !== "ok" && !packages.some((p) => p.name === name)) packages.push(c);
  }
  const extras = extrasOf(found);
  // A base package that is off needs the base rebuilt; an extra's, the extras venv.
  problems.push(...packages.flatMap((p) => packageProblem(p, layout, extrasPins.has(p.name) ? rebuild : REBUILD)));
  const torchListed = packages.find((p) => p.name === "torch")?.status !== "missing";
  if (answer.torch.error && torchListed) problems.push(`torch does not import (${answer.torch.error}): ${REBUILD}`);
  if (layout.reuseTorchFrom !== undefined && answer.torch.version && !answer.torch.cuda) {
    problems.push(`torch reused from ${layout.reuseTorchFrom} sees no GPU: check the driver with nvidia-smi`);
  }
  const { error: _ignored, cudaVersion, ...torch } = answer.torch;
  return {
    python: { path: python, version: answer.version },
    venv,
    packages,
    extras,
    builtExtras,
    torch: cudaVersion ? { ...torch, cudaVersion } : torch,
    problems,
  };
}

export function check(name: string, wanted: string | undefined, found: string | undefined): PackageCheck {
  const pinned = wanted === undefined ? {} : { wanted };
  if (found === undefined) return { name, ...pinned, status: "missing" };
  // torch wheels carry a local tag (+cpu, +cu130) that the lock does not pin.
  const same =
    name === "torch" ? stripLocalVersion(found) === stripLocalVersion(wanted ?? found) : found === (wanted ?? found);
  return { name, ...pinned, found, status: same ? "ok" : "mismatch" };
}

function packageProblem(p: PackageCheck, layout: EnvironmentLayout, rebuild: string): string[] {
  if (p.status === "missing" && p.name === "torch" && layout.reuseTorchFrom !== undefined) {
    return [`torch does not import from ${layout.reuseTorchFrom}: check TRELLIS_REUSE_TORCH, then ${rebuild}`];
  }
  if (p.status === "missing" && p.wanted === undefined)
    return [`${p.name} is not installed and ${layout.lockFile} does not pin it: add it to the lock`];
  if (p.status === "missing") return [`${p.name} is not installed (the lock pins ${p.wanted}): ${rebuild}`];
  if (p.status === "mismatch") return [`${p.name} ${p.found} is installed but the lock pins ${p.wanted}: ${rebuild}`];
  return [];
}

function markerProblem(dir: string, hasMarker: boolean, setup: string): string {
  return hasMarker
    ? `the environment at ${dir} was built from another lock or python: ${setup}`
    : `the environment at ${dir} is unfinished: ${setup}`;
}

function setupCommand(extras: ReadonlyArray<{ name: string }> | undefined): string {
  return extras?.length ? `run \`trellis env setup ${extras.map((e) => `--extra ${e.name}`).join(" ")}\`` : SETUP;
}

/** The extras venvs in the cache whose marker names this base venv: what `--extra` would find ready. */
async function extrasBuiltOn(layout: EnvironmentLayout): Promise<string[][]> {
  const root = venvsRoot(layout.cacheDir);
  const names = await readdir(root).catch(() => [] as string[]);
  const sets: string[][] = [];
  for (const name of names.sort()) {
    if (name.includes(".")) continue; // logs and locks beside the venvs
    const marker = await readMarker(path.join(root, name));
    if (marker?.base === layout.dir && marker.extras?.length) sets.push(marker.extras);
  }
  // In the order of their names, not of their keys (hashes): the same list on every machine.
  return sets.sort((a, b) => a.join(" ").localeCompare(b.join(" ")));
}
