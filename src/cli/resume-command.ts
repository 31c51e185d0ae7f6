/** `trellis resume`: continue a stopped or failed run from its newest complete checkpoint. */
import path from "node:path";
import { attachLive, exitCodeOf } from "../app/attach.js";
import { findRun } from "../app/list-runs.js";
import { prepareResume } from "../app/resume.js";
import { startDetached } from "../app/start-detached.js";
import { chooseView } from "../ui/choose-view.js";
import { onlyPositional, parse, runsDirOf } from "./args.js";
import { interruptSignal } from "./interrupts.js";
import { printDetached } from "./print-detached.js";

export async function resumeCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "resume");
  if (values.help) return help();
  const dir = findRun(path.resolve(runsDirOf(values["runs-dir"])), onlyPositional(positionals, "run id", "resume"));
  const prepared = await prepareResume(dir, { force: values.force });
  if (values.detach) return printDetached(prepared, await startDetached(prepared));
  const view = await chooseView({ ...values, resuming: true });
  const interrupt = interruptSignal();
  const target = await startDetached(prepared);
  return exitCodeOf(await attachLive(target, view, interrupt));
}
