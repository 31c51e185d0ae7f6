/** `trellis plan <recipe.yaml>`: print the batch plan of every stage; runs no training. */
import path from "node:path";
import { formatPlan } from "../core/plan/stage.js";
import { setupEnvironment } from "../app/env.js";
import { loadRecipe } from "../app/load-recipe.js";
import { planStages } from "../app/plan.js";
import { envOptions, onlyPositional, parse } from "./args.js";

export async function planCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "plan");
  if (values.help) return help();
  const loaded = await loadRecipe(onlyPositional(positionals, "recipe file", "plan"), path.resolve("runs", "output"));
  const env = await setupEnvironment({ ...envOptions(values), out: process.stderr });
  const results = await planStages(
    loaded,
    env.python,
    loaded.recipe.stages.map((s) => s.id),
    (line) => process.stderr.write(`${line}\n`),
  );
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ stages: results })}\n`);
    return 0;
  }
  for (const r of results) {
    process.stdout.write(r.kind === "planned" ? formatPlan(r.stage, r.plan, r.cached) : `${r.stage}: ${r.reason}\n`);
    if (r.kind === "planned" && r.reference) process.stdout.write(`  ${r.reference}\n`);
  }
  return 0;
}
