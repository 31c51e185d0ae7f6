/** `trellis attach`: watch a run live, or review a finished one. */
import path from "node:path";
import { attachLive, exitCodeOf, replayFinished } from "../app/attach.js";
import { readSupervisor } from "../app/prepared-run.js";
import { findRun } from "../app/list-runs.js";
import { chooseView } from "../ui/choose-view.js";
import { summaryView } from "../ui/plain-views.js";
import { parse, runsDirOf, UsageError } from "./args.js";
import { interruptSignal } from "./interrupts.js";

export async function attachCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "attach");
  if (values.help) return help();
  if (positionals.length > 1) throw new UsageError("attach takes at most one run id or ws:// address");
  const what = positionals[0];
  if (what?.startsWith("ws://") || what?.startsWith("wss://")) {
    const token = values.token ?? process.env.TRELLIS_TOKEN;
    if (!token)
      throw new UsageError(
        "attaching by address needs the run's token: --token or TRELLIS_TOKEN (it is in runs/<id>/token)",
      );
    return exitCodeOf(await attachLive({ url: what, token }, await chooseView(values), interruptSignal()));
  }
  const dir = findRun(path.resolve(runsDirOf(values["runs-dir"])), what);
  const live = readSupervisor(dir);
  if (live) return exitCodeOf(await attachLive({ ...live, runDir: dir }, await chooseView(values), interruptSignal()));
  // A finished run: its whole history in the dashboard (review), or only the summary text.
  const view = values.summary ? summaryView() : await chooseView({ ...values, review: true });
  return exitCodeOf(await replayFinished(dir, view));
}
