/** `trellis merge`: the command table's entry (see spec.cts); the handler is src/cli/merge-command.ts. */
import type { CommandSpec } from "./spec.cjs";
import shared = require("./shared.cjs");

const { RUNS_DIR } = shared;

const MERGE = {
  name: "merge",
  synopsis: "merge [run]",
  summary: "merge a finished LoRA/QLoRA stage's adapter into a full model to serve",
  usage: ["merge [run-id] [--stage ID] [--out DIR] [--json] [--runs-dir DIR]"],
  args: [{ name: "run-id", optional: true, help: "the run (default: the latest)" }],
  description: `Merges the LoRA adapter a finished stage saved into the model that stage trained on, and saves
a full model with its tokenizer: plain transformers loads it (no PEFT), ready to serve. For
QLoRA (model.quantization) the base is de-quantised first, so the merged weights are exactly
those the adapter was trained against. A stage that started from an earlier LoRA stage merges
onto that stage's result. The merge runs in the run's own environment and scripts; its output
goes to logs/merge-<stage>.stderr.log. A stage with merge: true in the recipe does this at the
end of training.`,
  flags: {
    stage: {
      type: "string",
      value: "ID",
      default: "the last stage that saved an adapter",
      help: "the stage to merge",
    },
    out: { type: "string", value: "DIR", default: "<stage output>/merged", help: "where the merged model goes" },
    json: { type: "boolean", help: "print {run, stage, merged} as JSON" },
    "runs-dir": RUNS_DIR,
  },
  handler: { module: "./merge-command.js", export: "mergeCommand" },
} as const satisfies CommandSpec;

export = MERGE;
