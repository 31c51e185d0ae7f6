import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { sha256 } from "./requirements-lock.js";
import { runPythonJson } from "./run-python.js";

/** python/trellis_runtime/probes/base_python.py's answer. */
const Probed = z.object({ version: z.string(), platform: z.string(), real: z.string() });
type BasePython = Omit<z.infer<typeof Probed>, "real">;

const FileStamp = z.object({ path: z.string(), size: z.number(), mtimeMs: z.number() });
type FileStamp = z.infer<typeof FileStamp>;
const CachedProbe = z.object({ version: z.string(), platform: z.string(), command: FileStamp, real: FileStamp });

interface ProbeOptions {
  signal?: AbortSignal;
  /** Skip the cache (the caller is about to build and wants the truth, not speed). */
  fresh?: boolean;
}

/**
 * The base interpreter's `sys.version` and platform, which go into the venv key. Cached per interpreter,
 * so that finding an existing venv reads files and spawns nothing. The cache holds while both the command
 * and the real interpreter it ran are unchanged (a pyenv shim is a script that never changes by itself).
 */
export async function probeBasePython(
  executable: string,
  cacheDir: string,
  opts: ProbeOptions = {},
): Promise<BasePython> {
  const cachePath = path.join(cacheDir, "pythons", `${sha256(executable).slice(0, 16)}.json`);
  if (!opts.fresh) {
    try {
      const cached = CachedProbe.parse(JSON.parse(await readFile(cachePath, "utf8")));
      if (
        sameStamp(cached.command, await stampOf(executable)) &&
        sameStamp(cached.real, await stampOf(cached.real.path))
      ) {
        return { version: cached.version, platform: cached.platform };
      }
    } catch {
      // No cache yet, an unreadable one, or an interpreter that is gone: probe again.
    }
  }
  const probed = await runPythonJson(executable, "base_python", [], Probed, opts.signal);
  const record: z.infer<typeof CachedProbe> = {
    version: probed.version,
    platform: probed.platform,
    command: await stampOf(executable),
    real: await stampOf(probed.real),
  };
  await mkdir(path.dirname(cachePath), { recursive: true });
  const tmp = `${cachePath}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(record));
  await rename(tmp, cachePath);
  return { version: probed.version, platform: probed.platform };
}

async function stampOf(file: string): Promise<FileStamp> {
  const s = await stat(file);
  return { path: file, size: s.size, mtimeMs: s.mtimeMs };
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.path === b.path && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

// python/trellis_runtime/probes/sites.py: site dirs plus, unless told not to, what torch says
// about itself. Never raises: the caller decides.
const TorchInfo = z.object({
  version: z.string(),
  cuda: z.boolean(),
  cudaVersion: z.string().nullable(),
  site: z.string(),
});
export type TorchInfo = z.infer<typeof TorchInfo>;

const SiteInfo = z.object({
  executable: z.string(),
  sites: z.array(z.string()),
  torch: TorchInfo.optional(),
  torchError: z.string().optional(),
});
type SiteInfo = z.infer<typeof SiteInfo>;

/** An interpreter's site-packages folders and, with `withTorch`, whether and which torch it imports. */
export async function probeSites(python: string, withTorch: boolean, signal?: AbortSignal): Promise<SiteInfo> {
  return runPythonJson(python, "sites", withTorch ? [] : ["--no-torch"], SiteInfo, signal);
}
