/**
 * Paths in a stage spec: those inside the folder trellis owns (the rendered folder, or the run
 * directory) are written relative to the spec's own folder, so the folder can be moved and
 * still runs; the user's files elsewhere (data, a local model) stay absolute. The rendered
 * script (trellis_runtime/arguments.py) resolves them against its folder, and so does
 * `specPath` for trellis's own readers.
 */
import { isAbsolute, relative, resolve } from "pathe";
import type { StageSpec } from "./stage-spec.js";

export interface SpecLayout {
  /** The folder the spec and its script are written to. */
  specDir: string;
  /** The folder trellis owns: paths under it become relative. */
  ownDir: string;
}

export function portableSpec(spec: StageSpec, layout: SpecLayout): StageSpec {
  const rel = (p: string) => portablePath(p, layout);
  const args = { ...spec.args };
  for (const key of ["output_dir", "logging_dir"]) if (typeof args[key] === "string") args[key] = rel(args[key]);
  return {
    ...spec,
    from_dir: spec.from_dir === null ? null : rel(spec.from_dir),
    args,
    ...(spec.resume_from_checkpoint ? { resume_from_checkpoint: rel(spec.resume_from_checkpoint) } : {}),
  };
}

export function portablePath(p: string, layout: SpecLayout): string {
  const inside = relative(layout.ownDir, p);
  if (!isAbsolute(p) || inside.startsWith("..") || isAbsolute(inside)) return p;
  return relative(layout.specDir, p) || ".";
}

/** A path read from a spec in `specDir`, made absolute. */
export function specPath(specDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(specDir, p);
}
