/**
 * The models a finished run started from and ended with, read from its own files: the first
 * stage's spec names the starting model (a Hub name or folder, or a tiny spec with its data
 * files), the last stage's output folder holds the final weights, or a LoRA adapter over the
 * folder its adapter_config.json names.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { readManifestFile } from "./run-dir.js";

interface RunModels {
  /** The first stage's `model` block (name or tiny, revision, dtype, trust_remote_code). */
  start: Record<string, unknown>;
  /** The final model: the last stage's output folder, or its adapter over a base. */
  final: { model: Record<string, unknown>; adapter: string | null };
}

type StageSpec = { model: Record<string, unknown>; args: { output_dir?: string } };

/** The stage specs of a run, in order (the manifest lists them). */
function stageSpecs(runDir: string): StageSpec[] {
  const manifest = readManifestFile(runDir) as { scripts?: Array<{ spec_file: string }> } | undefined;
  const scripts = manifest?.scripts ?? [];
  if (!scripts.length) throw new Error(`${runDir} has no manifest.json with its stages' specs`);
  return scripts.map((s) => JSON.parse(readFileSync(path.join(runDir, s.spec_file), "utf8")) as StageSpec);
}

/** The first stage's `model` block: the model the run started from. */
export function startModel(runDir: string): Record<string, unknown> {
  return stageSpecs(runDir)[0]!.model;
}

export function runModels(runDir: string): RunModels {
  const specs = stageSpecs(runDir);
  const first = specs[0]!;
  const last = specs.at(-1)!;
  // Stages run in runs/<id>/scripts: their output_dir is relative to it (../output/<stage>).
  const out = path.resolve(runDir, "scripts", last.args.output_dir ?? "../output");
  if (!existsSync(out)) throw new Error(`the final model's folder ${out} is gone`);
  const adapterConfig = path.join(out, "adapter_config.json");
  if (!existsSync(adapterConfig))
    return { start: first.model, final: { model: { ...first.model, name: out, tiny: null }, adapter: null } };
  const base = (JSON.parse(readFileSync(adapterConfig, "utf8")) as { base_model_name_or_path?: string })
    .base_model_name_or_path;
  // An adapter over an earlier stage's output names that folder; over the starting model, its name.
  const model = base && existsSync(base) ? { ...first.model, name: base, tiny: null } : first.model;
  return { start: first.model, final: { model, adapter: out } };
}
