/**
 * A venv per (base environment + set of extras), layered on the base venv: it installs only the
 * extras' pins, and a `.pth` file adds the base venv's site folders (with their own `.pth` files,
 * so a reused torch comes along) after its own. torch and the rest of the base are never copied
 * or installed again, so adding an extra costs seconds.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { mergeExtraPins } from "../../core/env/extras.js";
import { clearOldDir, installLocked, type BuildOptions } from "./build.js";
import { EnvironmentError } from "./errors.js";
import { KEY_HEX_LENGTH, parsePins, sha256 } from "./requirements-lock.js";
import { writeMarker } from "./marker.js";
import { venvPython, venvsRoot } from "./paths.js";
import type { EnvironmentLayout } from "./layout.js";
import { probeSites } from "./python-info.js";

/** Puts the base venv's packages on the path of an extras venv. */
export const BASE_PTH_FILE = "_trellis_base_env.pth";
const EXTRAS_LAYOUT = 2;
/** What `python -m venv` installs besides pip. */
const SEEDED = ["setuptools"];

/** One extra as the environment installs it: python/extras/<name>.lock and its top-level requirements. */
export interface ExtraLock {
  name: string;
  lockText: string;
  requires: string[];
}

export interface ExtrasLayout {
  base: EnvironmentLayout;
  extras: ExtraLock[];
  dir: string;
  key: string;
  /** The union of the extras' pins, as installed. */
  lockText: string;
  lockSha256: string;
}

/**
 * The key of an extras venv: the base key, the extras' names and their locks. Without extras the
 * key is the base key itself, so an environment with no extras is exactly the one trellis always made.
 */
export function extrasKey(baseKey: string, extras: ReadonlyArray<Pick<ExtraLock, "name" | "lockText">>): string {
  if (extras.length === 0) return baseKey;
  const sorted = [...extras].sort((a, b) => a.name.localeCompare(b.name));
  const parts = [baseKey, sorted.map((e) => [e.name, e.lockText])];
  // Version 2 of how an extras venv is built (its seeded setuptools removed): older ones are rebuilt.
  return sha256(JSON.stringify([...parts, EXTRAS_LAYOUT])).slice(0, KEY_HEX_LENGTH);
}

/** Where the venv for `extras` on top of `base` lives (always in the cache, beside the base), and what it installs. */
export function extrasLayout(base: EnvironmentLayout, extras: ExtraLock[]): ExtrasLayout {
  const sorted = [...extras].sort((a, b) => a.name.localeCompare(b.name));
  const merged = mergeExtraPins(sorted.map((e) => ({ name: e.name, pins: parsePins(e.lockText) })));
  if (merged.conflicts.length) {
    throw new EnvironmentError(
      `the locks of extras ${sorted.map((e) => e.name).join(", ")} disagree (${merged.conflicts.join("; ")}): regenerate them together with python/tools/lock_extras.py`,
    );
  }
  const lockText = `# extras: ${sorted.map((e) => e.name).join(" ")}\n${merged.pins.map((p) => `${p.name}==${p.version}\n`).join("")}`;
  const key = extrasKey(base.key, sorted);
  return {
    base,
    extras: sorted,
    dir: path.join(venvsRoot(base.cacheDir), key),
    key,
    lockText,
    lockSha256: sha256(lockText),
  };
}

/** Builds the extras venv from nothing; like the base, the marker goes in last. */
export async function buildExtrasEnvironment(layout: ExtrasLayout, opts: BuildOptions): Promise<void> {
  const { dir } = layout;
  const total = parsePins(layout.lockText).length;
  const report = (p: Parameters<NonNullable<BuildOptions["onProgress"]>>[0]) => opts.onProgress?.(p);
  await clearOldDir({ dir, dirChosen: false, cacheDir: layout.base.cacheDir }, opts.logger);
  await installLocked(
    {
      dir,
      basePython: layout.base.basePython,
      lockText: layout.lockText,
      what: `the extras ${layout.extras.map((e) => e.name).join(", ")}`,
      venvFor: "the extras",
      afterCreate: () => linkBase(layout, opts.signal),
      // The base pins setuptools (torch needs it); the venv's own older copy would come first.
      unseed: SEEDED.filter((name) => parsePins(layout.base.lockText).some((p) => p.name.toLowerCase() === name)),
    },
    opts,
  );
  await writeMarker(dir, {
    key: layout.key,
    lockSha256: layout.lockSha256,
    python: layout.base.basePython,
    createdAt: new Date().toISOString(),
    reuseTorchFrom: layout.base.reuseTorchFrom ?? null,
    wheelhouse: opts.wheelhouse ? path.resolve(opts.wheelhouse) : null,
    base: layout.base.dir,
    extras: layout.extras.map((e) => e.name),
  });
  report({ phase: "done", done: total, total });
}

/**
 * `site.addsitedir` rather than a plain path line: it also runs the base's own `.pth` files (the
 * reused-torch link among them), and appends after the venv's own site folder, so an extra's pin wins.
 */
async function linkBase(layout: ExtrasLayout, signal: AbortSignal | undefined): Promise<void> {
  const [own, base] = await Promise.all([
    probeSites(venvPython(layout.dir), false, signal),
    probeSites(venvPython(layout.base.dir), false, signal),
  ]);
  const site = own.sites[0];
  if (site === undefined) throw new EnvironmentError(`${venvPython(layout.dir)} reports no site-packages folder`);
  const dirs = [...new Set(base.sites)].map((d) => `site.addsitedir(${JSON.stringify(d)})`);
  await writeFile(path.join(site, BASE_PTH_FILE), `import site; ${dirs.join("; ")}\n`);
}
