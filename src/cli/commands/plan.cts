/** `trellis plan`: the command table's entry (see spec.cts); the handler is src/cli/plan-command.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { ENV_FLAGS, SECTIONS } = shared;

const PLAN = {
  name: "plan",
  synopsis: "plan <recipe.yaml>",
  summary: "print the batch plan of each stage (probes on the GPU; nothing on a CPU)",
  usage: ["plan <recipe.yaml> [--json] [environment options]"],
  args: [{ name: "recipe.yaml", help: "the recipe" }],
  description: `Prints, for each stage, the batch configuration the planner picks on this machine's GPU, and
the probe table behind it (the analytic memory estimate beside the measured peak and tokens/s).
The effective batch (micro-batch x accumulation x processes) stays the recipe's: the candidates
are the divisors of the per-process batch, gradient checkpointing is tried off before on (and,
for DPO, precomputed reference log-probs where that makes a size fit). Each probe is a fresh
process running 3 optimizer steps on the longest examples; a size is accepted only with 10% of
the GPU's memory to spare, and the fastest accepted one wins. When none fits, it refuses rather
than shrink the batch. Plans are cached by an environment fingerprint (model, data, stage
settings, GPU, versions) under the trellis cache. A stage with \`batch: auto\` is planned the same
way when it runs. On a CPU there is nothing to plan: the recipe's batch is used as written.`,
  flags: {
    json: { type: "boolean", help: "the plans as JSON" },
    ...ENV_FLAGS,
  },
  sections: { env: { ...SECTIONS.env, brief: "as for trellis run" } },
  handler: { module: "./plan-command.js", export: "planCommand" },
} as const satisfies CommandSpec;

export = PLAN;
