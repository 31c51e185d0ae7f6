/** `trellis merge <run-id> [--stage ID] [--out DIR]`. */
import path from "node:path";
import { mergeRun } from "../app/merge.js";
import { findRun } from "../app/list-runs.js";
import { parse, runsDirOf, UsageError } from "./args.js";

export async function mergeCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "merge");
  if (values.help) return help();
  if (positionals.length > 1) throw new UsageError("merge takes one run id (see trellis merge --help)");
  const runDir = findRun(path.resolve(runsDirOf(values["runs-dir"])), positionals[0]);
  const id = path.basename(runDir);
  if (!values.json)
    process.stderr.write(
      `merging the adapter of ${id}${values.stage ? ` stage '${values.stage}'` : ""} into its base model…\n`,
    );
  const result = await mergeRun(runDir, { stage: values.stage, out: values.out });
  if (values.json) process.stdout.write(`${JSON.stringify({ run: id, stage: result.stage, merged: result.merged })}\n`);
  else
    process.stdout.write(
      `merged stage '${result.stage}' of ${id} into ${result.merged}: a full model (AutoModelForCausalLM.from_pretrained loads it, no PEFT needed)\n`,
    );
  return 0;
}
