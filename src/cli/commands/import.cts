/** `trellis import`: the command table's entry (see spec.cts); the handler is src/cli/import-command.ts. */
import type { CommandSpec } from "./spec.cjs";

const IMPORT = {
  name: "import",
  synopsis: "import <config.yaml>",
  summary: "turn a TRL, alignment-handbook, axolotl or LLaMA-Factory config into a recipe",
  usage: ["import <config.yaml> [options]"],
  args: [{ name: "config.yaml", help: "a TRL CLI, alignment-handbook, axolotl or LLaMA-Factory config" }],
  description: `Turns a TRL CLI, alignment-handbook, axolotl or LLaMA-Factory config into a trellis recipe, and
reports what became of every key: mapped (to which recipe field), migrated (renamed, or removed
in TRL 1.13 and replaced) or unsupported (and why). The recipe is validated before it is written.`,
  flags: {
    from: {
      type: "string",
      value: "FORMAT",
      default: "detected from the keys",
      help: "trl | handbook | axolotl | llamafactory, or llama-factory (either of its layouts)",
    },
    trainer: {
      type: "string",
      value: "NAME",
      help: "sft | dpo | orpo | kto | cpo | simpo: force the trainer (TRL CLI and handbook files do not name it; it is inferred from their keys, comments and file name)",
    },
    output: {
      type: "string",
      short: "o",
      value: "FILE",
      default: "stdout",
      help: "write the recipe here; relative data paths are rebased from the working directory (where the tools read them) to FILE's folder",
    },
    override: {
      type: "string",
      value: "FILE",
      help: "merge this YAML over the imported recipe: mappings merge key by key, null deletes a key, stages merge by id (or position); its paths are relative to FILE. recipes/overrides/quickstart.yaml swaps in the CPU quickstart's model and data.",
    },
    json: { type: "boolean", help: "print {format, trainer, report, notes, yaml} as JSON on stdout" },
    "trl-version": {
      type: "string",
      value: "X.Y",
      default: "the managed environment's pin",
      help: "validate for this TRL version",
    },
  },
  notes: "The report goes to stderr as a table (or into the JSON with --json).",
  handler: { module: "./import-command.js", export: "importCommand" },
} as const satisfies CommandSpec;

export = IMPORT;
