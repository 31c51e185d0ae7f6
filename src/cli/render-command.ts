/** `trellis render`: the standalone TRL scripts of a recipe. */
import path from "node:path";
import { envOptions, onlyPositional, parse } from "./args.js";
import { launchFlags, slurmOptions } from "./launch-flags.js";

export async function renderCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "render");
  if (values.help) return help();
  const { renderToFolder } = await import("../app/render.js");
  const slurm = slurmOptions(values);
  const result = await renderToFolder({
    recipeFile: onlyPositional(positionals, "recipe file", "render"),
    outDir: values.out,
    trlVersion: values["trl-version"],
    slurm,
    launchFlags: launchFlags(values),
    environment: slurm
      ? async () => (await import("../app/env.js")).setupEnvironment({ ...envOptions(values), out: process.stderr })
      : undefined,
  });
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ out: result.outDir, trl: result.trl, stages: result.stages.map((s) => ({ id: s.id, trainer: s.trainer, script: path.join(result.outDir, s.script.name), spec: path.join(result.outDir, s.spec.name) })), slurm: result.slurmScripts })}\n`,
    );
  } else {
    process.stdout.write(`rendered for TRL ${result.trl} into ${result.outDir}\n`);
    for (const s of result.stages)
      process.stdout.write(`  ${s.script.name}  (${s.trainer}; values in ${s.spec.name})\n`);
    process.stdout.write(
      `run a stage with the managed environment's python (trellis env doctor shows it): python ${path.join(result.outDir, result.stages[0]!.script.name)}\n`,
    );
    for (const f of result.slurmScripts)
      process.stdout.write(`  ${path.relative(result.outDir, f)}  (Slurm: sbatch ${f})\n`);
  }
  return 0;
}
