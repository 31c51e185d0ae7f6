import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { EnvironmentError } from "./errors.js";
import { filterPins, normalizeName, parsePins, torchIndexOf } from "./requirements-lock.js";
import { isTorchRuntimePackage } from "../../core/env/torch-backend.js";
import { readMarker, writeMarker } from "./marker.js";
import { createPipProgress, type InstallProgress } from "./pip-progress.js";
import type { EnvironmentLayout } from "./layout.js";
import {
  BUILDING_FILE,
  exists,
  INSTALLED_LOCK_FILE,
  installLogPath,
  REUSE_PTH_FILE,
  venvPython,
  venvsRoot,
} from "./paths.js";
import { probeSites, type TorchInfo } from "./python-info.js";
import { InstallLog, runLogged } from "./run-logged.js";

export interface BuildOptions {
  wheelhouse?: string;
  onProgress?: (p: InstallProgress) => void;
  logger?: Logger;
  signal?: AbortSignal;
}

/** Builds the venv from nothing; the marker goes in last, so an interrupted build is never taken for a good one. */
export async function buildEnvironment(layout: EnvironmentLayout, opts: BuildOptions): Promise<{ torch?: TorchInfo }> {
  const { dir, lockText } = layout;
  const reused = layout.reuseTorchFrom === undefined ? undefined : await checkReusedTorch(layout.reuseTorchFrom, opts);
  // A borrowed torch brings its own CUDA libraries: leave out torch and what only it needs.
  const lockToInstall = reused ? filterPins(lockText, (name) => !isTorchRuntimePackage(name)) : lockText;
  const total = parsePins(lockToInstall).length;
  const report = (p: InstallProgress) => opts.onProgress?.(p);

  await clearOldDir(layout, opts.logger);
  await installLocked(
    {
      dir,
      basePython: layout.basePython,
      lockText: lockToInstall,
      what: "the Python packages",
      afterInstall: reused ? () => linkReusedTorch(dir, reused, opts) : undefined,
    },
    opts,
  );
  await writeMarker(dir, {
    key: layout.key,
    lockSha256: layout.lockSha256,
    python: layout.basePython,
    createdAt: new Date().toISOString(),
    reuseTorchFrom: layout.reuseTorchFrom ?? null,
    wheelhouse: opts.wheelhouse ? path.resolve(opts.wheelhouse) : null,
    ...(layout.torchBackend ? { torchBackend: layout.torchBackend } : {}),
  });
  report({ phase: "done", done: total, total });
  return reused ? { torch: reused.torch } : {};
}

interface LockedInstall {
  dir: string;
  basePython: string;
  lockText: string;
  /** What is installed, for the log and errors: "the Python packages". */
  what: string;
  /** What the venv is for, when it is not the base environment ("the extras"). */
  venvFor?: string;
  /** Runs once the venv exists, before pip (linking another environment's site folders). */
  afterCreate?: () => Promise<void>;
  /** Runs after pip, still inside the build (the building file still present). */
  afterInstall?: () => Promise<void>;
  /**
   * Packages `python -m venv` seeds (setuptools on Python 3.11) to remove again: a venv layered on
   * another environment must not shadow that environment's pinned copy with its own.
   */
  unseed?: string[];
}

/**
 * Creates a venv in `dir` and installs exactly the pins of `lockText` (--no-deps), with progress
 * and the output in the install log. A building file marks the folder until the end; the caller
 * writes the marker after, so an interrupted build is never taken for a good one.
 */
export async function installLocked(i: LockedInstall, opts: BuildOptions): Promise<void> {
  const total = parsePins(i.lockText).length;
  const report = (p: InstallProgress) => opts.onProgress?.(p);
  await mkdir(i.dir, { recursive: true });
  await writeFile(path.join(i.dir, BUILDING_FILE), `${process.pid}\n`);
  const log = new InstallLog(installLogPath(i.dir));
  try {
    report({ phase: "create", done: 0, total });
    await runLogged(i.basePython, ["-m", "venv", i.dir], {
      log,
      what: `creating the virtual environment${i.venvFor ? ` for ${i.venvFor}` : ""}`,
      signal: opts.signal,
    });
    if (i.unseed?.length) {
      await runLogged(venvPython(i.dir), ["-m", "pip", "uninstall", "-y", "--disable-pip-version-check", ...i.unseed], {
        log,
        what: `removing the venv's own ${i.unseed.join(", ")}`,
        signal: opts.signal,
      });
    }
    await i.afterCreate?.();
    const requirements = path.join(i.dir, INSTALLED_LOCK_FILE);
    await writeFile(requirements, i.lockText);
    const offline = opts.wheelhouse ? ["--no-index", "--find-links", path.resolve(opts.wheelhouse)] : [];
    // A torch from the PyTorch index is installed alone from it, the rest without it: pip asks every
    // index for every package, and one that is slow or unreachable would cost minutes.
    const torchIndex = opts.wheelhouse ? undefined : torchIndexOf(i.lockText);
    const torchPins = torchIndex ? parsePins(i.lockText).filter((p) => normalizeName(p.name) === "torch") : [];
    const steps = torchPins.length
      ? [
          {
            count: torchPins.length,
            args: [...torchPins.map((p) => `${p.name}==${p.version}`), "--extra-index-url", torchIndex!],
            file: undefined,
          },
          {
            count: total - torchPins.length,
            args: [],
            file: await writeRest(
              i.dir,
              filterPins(i.lockText, (name) => normalizeName(name) !== "torch"),
            ),
          },
        ]
      : [{ count: total, args: [], file: requirements }];
    report({ phase: "install", done: 0, total });
    let before = 0;
    for (const step of steps) {
      const progress = createPipProgress(step.count, Date.now());
      const pipArgs = [
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--disable-pip-version-check",
        ...(step.file ? ["-r", step.file] : []),
        ...step.args,
        ...offline,
      ];
      await runLogged(venvPython(i.dir), pipArgs, {
        log,
        what: `installing ${i.what}`,
        signal: opts.signal,
        onLine: (line) => {
          const p = progress(line, Date.now());
          // The eta of a step is not the whole install's: shown only in the last step.
          if (p)
            report({
              ...p,
              done: before + p.done,
              total,
              ...(step === steps.at(-1) || p.etaSeconds === undefined ? {} : { etaSeconds: undefined }),
            });
        },
      });
      before += step.count;
    }
    await i.afterInstall?.();
  } finally {
    await log.close();
  }
  await rm(path.join(i.dir, BUILDING_FILE), { force: true });
}

/** The lock less torch, for the second pip call; removed with the building file's folder contents never. */
async function writeRest(dir: string, text: string): Promise<string> {
  const file = path.join(dir, ".trellis-requirements-rest.lock");
  await writeFile(file, text);
  return file;
}

interface ReusedTorch {
  torch: TorchInfo;
  /** The other environment's site folders, written into the venv's `.pth`. */
  sites: string[];
}

/** Fails before anything is built if the other environment cannot give us a torch. */
async function checkReusedTorch(python: string, opts: BuildOptions): Promise<ReusedTorch> {
  const info = await probeSites(python, true, opts.signal);
  if (!info.torch) {
    throw new EnvironmentError(`cannot reuse torch from ${python}: ${info.torchError ?? "torch does not import"}`);
  }
  opts.logger?.info(
    { from: python, torch: info.torch.version, cuda: info.torch.cuda },
    "reusing torch from another environment",
  );
  // torch's own folder first: on some systems it is platlib, not purelib.
  return { torch: info.torch, sites: [...new Set([info.torch.site, ...info.sites])] };
}

/** A `.pth` line per site folder of the other environment: appended to sys.path, after the venv's own packages. */
async function linkReusedTorch(dir: string, reused: ReusedTorch, opts: BuildOptions): Promise<void> {
  const python = venvPython(dir);
  const own = await probeSites(python, false, opts.signal);
  const site = own.sites[0];
  if (site === undefined) throw new EnvironmentError(`${python} reports no site-packages folder`);
  await writeFile(path.join(site, REUSE_PTH_FILE), `${reused.sites.join("\n")}\n`);
  const check = await probeSites(python, true, opts.signal);
  if (check.torch?.version !== reused.torch.version) {
    const got = check.torchError ?? `torch ${check.torch?.version ?? "?"}`;
    throw new EnvironmentError(
      `the new environment does not import the reused torch ${reused.torch.version} (got ${got})`,
    );
  }
}

/**
 * Deletes a folder left by an earlier build before building afresh. A folder the user named that trellis did
 * not make (no marker, no build flag) is refused rather than deleted: it may be someone's own venv.
 */
export async function clearOldDir(
  layout: Pick<EnvironmentLayout, "dir" | "dirChosen" | "cacheDir">,
  logger: Logger | undefined,
): Promise<void> {
  const { dir } = layout;
  if (!(await exists(dir))) return;
  const empty = (await readdir(dir)).length === 0;
  const ours = !layout.dirChosen && path.dirname(dir) === venvsRoot(layout.cacheDir);
  const marker = await readMarker(dir);
  if (!empty && !ours && !marker && !(await exists(path.join(dir, BUILDING_FILE)))) {
    throw new EnvironmentError(
      `${dir} exists and was not made by trellis; point TRELLIS_VENV at a new or empty folder`,
    );
  }
  if (marker) logger?.info({ dir }, "the environment is out of date, rebuilding");
  else if (!empty) logger?.warn({ dir }, "found an incomplete environment, rebuilding");
  await rm(dir, { recursive: true, force: true });
}
