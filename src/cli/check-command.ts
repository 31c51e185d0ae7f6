/** `trellis check`: everything that would fail in a run's first minutes, and nothing run. */
import path from "node:path";
import { SHAPES } from "../core/data/shape.js";
import { formatBytes } from "../core/recipe/model-checks.js";
import { RecipeError } from "../core/recipe/errors.js";
import { ImportError } from "../core/interop/import/index.js";
import { DataFileError } from "../adapters/data-files.js";
import { displayPath, loadRecipe } from "../app/load-recipe.js";
import { importIfForeign } from "../app/import.js";
import { checkRecipePackages } from "../app/extras.js";
import { checkModelAvailable } from "../app/check-model.js";
import { probeGpus } from "../adapters/gpu-probe.js";
import { gpuOnlyNotes } from "../core/recipe/gpu-only.js";
import { onlyPositional, parse } from "./args.js";
import { sanitise, terminalSafeJson } from "../core/text/sanitise.js";

export async function checkCommand(args: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(args, "check");
  if (values.help) return help();
  const file = onlyPositional(positionals, "recipe file", "check");
  const load = async () => {
    // A TRL, alignment-handbook, axolotl or LLaMA-Factory config is checked as `run` would take it: imported.
    const imported = await importIfForeign(file, values["trl-version"]);
    const loaded = await loadRecipe(file, path.resolve("runs", "output"), values["trl-version"], imported?.yamlText);
    const extras = checkRecipePackages(loaded, values.extra ?? []);
    await checkModelAvailable(loaded, displayPath(file));
    return { loaded, imported, extras };
  };
  if (!values.json) {
    const { loaded, imported } = await load();
    return printCheck(loaded, imported?.format, await gpuOnly(loaded.recipe.stages));
  }
  try {
    const { loaded, extras, imported } = await load();
    const gpu_only = await gpuOnly(loaded.recipe.stages);
    const { facts, disk } = loaded.model;
    const model = facts
      ? { read_from: facts.where, parameters: facts.parameters, chat_template: facts.chatTemplate }
      : null;
    process.stdout.write(
      `${terminalSafeJson(JSON.stringify({ ok: true, ...(imported ? { imported_from: imported.format } : {}), recipe: loaded.recipe, data: loaded.data, model, disk, extras, gpu_only }))}\n`,
    );
    return 0;
  } catch (err) {
    // One JSON document whatever happened: errors are data for a script, with the exit code.
    if (!(err instanceof RecipeError || err instanceof DataFileError || err instanceof ImportError)) throw err;
    const problems =
      err instanceof RecipeError ? err.problems : err.message.split("\n").map((message) => ({ message }));
    const data = err instanceof DataFileError ? err.details : undefined;
    process.stdout.write(
      `${terminalSafeJson(JSON.stringify({ ok: false, exit_code: err.exitCode, problems, ...(data ? { data } : {}) }))}\n`,
    );
    return err.exitCode;
  }
}

/** Settings this machine cannot run (Liger); nvidia-smi is asked only when a stage has one. */
async function gpuOnly(stages: Parameters<typeof gpuOnlyNotes>[0]): Promise<string[]> {
  if (gpuOnlyNotes(stages, false).length === 0) return [];
  return gpuOnlyNotes(stages, (await probeGpus()).names.length > 0);
}

function printCheck(
  loaded: Awaited<ReturnType<typeof loadRecipe>>,
  importedFrom: string | undefined,
  gpuOnly: string[],
): number {
  const stages = loaded.resolved.stages.map((s) => `${s.stage.id}:${s.stage.trainer}`).join(" -> ");
  const out = [`${loaded.file}: ok (${stages})`];
  if (importedFrom)
    out.push(`  a ${importedFrom} config, checked as \`trellis run\` imports it (\`trellis import\` reports each key)`);
  const lines = loaded.data.map(
    (d) =>
      `  ${displayPath(d.file)}: ${d.rows} rows, ${d.shape ? `${d.shape} (${SHAPES[d.shape]}): ${d.note}` : "no shape"}`,
  );
  out.push(...new Set(lines)); // a file two stages read alike is one line
  const { facts, disk } = loaded.model;
  const name = loaded.recipe.model.name ?? "tiny model";
  if (!facts)
    out.push(
      `  model ${name}: not on this machine yet; its LoRA targets and chat template are checked when the stage loads it`,
    );
  if (disk)
    out.push(
      `  disk: the run saves about ${formatBytes(disk.need)}; ${formatBytes(disk.free)} free under ${disk.where}`,
    );
  out.push(...gpuOnly.map((l) => `  ${l}`));
  process.stdout.write(`${out.map((l) => sanitise(l)).join("\n")}\n`);
  return 0;
}
