/** `trellis export`: the command table's entry (see spec.cts); the handler is src/cli/export-command.ts. */
import type { CommandSpec } from "./spec.cjs";

const EXPORT = {
  name: "export",
  synopsis: "export <recipe.yaml>",
  summary: "write TRL CLI configs (trl sft|dpo --config), one per stage",
  usage: ["export <recipe.yaml> --to trl [-o DIR] [--json]"],
  args: [{ name: "recipe.yaml", help: "the recipe" }],
  description: `Writes one TRL CLI config per stage, <stage-id>.yaml, to run with \`trl sft|dpo --config FILE\`,
and says which stages cannot be written that way and why (there is no \`trl orpo\` command; a
tiny model exists only in trellis). A stage that starts from another gets the earlier stage's
output folder as model_name_or_path.`,
  flags: {
    to: { type: "string", value: "trl", default: "trl", help: "the target (only trl for now)" },
    out: {
      type: "string",
      short: "o",
      value: "DIR",
      default: "./exported/<recipe name>",
      help: "where the files go",
    },
    json: { type: "boolean", help: "print what was written as JSON" },
    "trl-version": { type: "string", value: "X.Y", help: "validate the recipe for this TRL version" },
  },
  handler: { module: "./export-command.js", export: "exportCommand" },
} as const satisfies CommandSpec;

export = EXPORT;
