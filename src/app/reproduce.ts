/**
 * `trellis reproduce <run>`: run a recorded run again (same recipe, same locked environment,
 * same seeds), say up front what differs from the original (data, packages, GPU), then compare
 * the new metrics with the original's and report the first step and metric that differ.
 */
import { parseDocument } from "yaml";
import { z } from "zod";
import type { RunEvent } from "../core/events/protocol.js";
import { readAllEvents } from "../adapters/event-file.js";
import { fileDigest } from "../adapters/hash.js";
import { readManifestFile, readRecordedRecipe, runFiles } from "../adapters/run-dir.js";
import { environmentFacts } from "./manifest.js";

/** What `trellis reproduce` reads of a run's manifest.json (written by manifest.ts). */
const RecordedManifest = z.object({
  recipe: z.object({ file: z.string() }),
  environment: z.object({
    packages: z.record(z.string(), z.string()),
    gpus: z.array(z.string()).optional(),
    extras: z.array(z.object({ name: z.string() })).optional(),
  }),
  data: z.object({ files: z.array(z.object({ file: z.string(), sha256: z.string() })) }),
});
type RecordedManifest = z.infer<typeof RecordedManifest>;

export function readManifest(runDir: string): RecordedManifest {
  const manifest = readManifestFile(runDir);
  if (manifest === undefined) throw new Error(`${runDir} has no manifest.json (made by an older trellis?)`);
  const parsed = RecordedManifest.safeParse(manifest);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new Error(`${runFiles(runDir).manifest}: ${issue.path.join(".")}: ${issue.message}`);
}

/** Differences between the recorded run and this machine now, one line each. */
export async function whatChanged(manifest: RecordedManifest, python: string): Promise<string[]> {
  const changes: string[] = [];
  for (const d of manifest.data.files) {
    const now = (await fileDigest(d.file))?.sha256;
    if (now === undefined) changes.push(`data file ${d.file} is gone`);
    else if (now !== d.sha256)
      changes.push(`data file ${d.file} changed: sha256 ${d.sha256.slice(0, 12)}… then, ${now.slice(0, 12)}… now`);
  }
  const env = await environmentFacts(python, { fresh: true }); // the check: nothing from a cache
  const before = manifest.environment.packages;
  for (const name of new Set([...Object.keys(before), ...Object.keys(env.packages)])) {
    if (before[name] !== env.packages[name])
      changes.push(`package ${name}: ${before[name] ?? "absent"} then, ${env.packages[name] ?? "absent"} now`);
  }
  const gpusThen = (manifest.environment.gpus ?? []).join(", ") || "none";
  const gpusNow = (env.gpus ?? []).join(", ") || "none";
  if (gpusThen !== gpusNow) changes.push(`GPUs: ${gpusThen} then, ${gpusNow} now`);
  return changes;
}

interface MetricDifference {
  stage: string;
  step: number;
  metric: string;
  original: unknown;
  reproduced: unknown;
}

export interface Comparison {
  identical: boolean;
  values: number;
  steps: number;
  first: MetricDifference | null;
}

/**
 * Compares the logged metrics of two runs, step by step, in the original's order. A step logged
 * twice (a run resumed from a checkpoint older than its last log) counts once, as logged last.
 */
export function compareMetrics(original: RunEvent[], reproduced: RunEvent[]): Comparison {
  const logged = (events: RunEvent[]) => {
    const byStep = new Map<string, Extract<RunEvent, { type: "metrics" }>>();
    for (const e of events) if (e.type === "metrics") byStep.set(`${e.stage}\0${e.step}`, e);
    return [...byStep.values()];
  };
  const a = logged(original);
  const b = new Map(logged(reproduced).map((e) => [`${e.stage}\0${e.step}`, e]));
  let values = 0;
  for (const e of a) {
    const other = b.get(`${e.stage}\0${e.step}`);
    for (const [metric, value] of Object.entries(e.metrics)) {
      const again = other?.metrics[metric];
      if (again !== value)
        return {
          identical: false,
          values,
          steps: a.length,
          first: { stage: e.stage ?? "?", step: e.step, metric, original: value, reproduced: again ?? "(not logged)" },
        };
      values++;
    }
  }
  const extra = logged(reproduced).length - a.length;
  if (extra > 0) {
    const e = logged(reproduced)[a.length]!;
    return {
      identical: false,
      values,
      steps: a.length,
      first: { stage: e.stage ?? "?", step: e.step, metric: "(step)", original: "(not logged)", reproduced: "logged" },
    };
  }
  return { identical: true, values, steps: a.length, first: null };
}

export async function recordedEvents(runDir: string): Promise<RunEvent[]> {
  return readAllEvents(runFiles(runDir).events);
}

/**
 * The recorded recipe to run again, its `output_dir` dropped: the reproduction writes its models
 * under its own run folder. The original run owns its output folder (output-folder.ts), and a
 * reproduction must never write over the models it is checked against.
 */
export function recordedRecipe(runDir: string): { text: string; outputDirDropped: string | null } {
  const doc = parseDocument(readRecordedRecipe(runDir));
  const outputDir: unknown = doc.get("output_dir");
  if (outputDir === undefined) return { text: doc.toString(), outputDirDropped: null };
  doc.delete("output_dir");
  return {
    text: doc.toString(),
    outputDirDropped: typeof outputDir === "string" ? outputDir : JSON.stringify(outputDir),
  };
}
