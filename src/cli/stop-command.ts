import path from "node:path";
import { attachLive, CTRL_C_SAYS, type RunView } from "../app/attach.js";
import { readSupervisor } from "../app/prepared-run.js";
import { findRun, summarizeRun } from "../app/list-runs.js";
import { summaryView } from "../ui/plain-views.js";
import { onlyPositional, parse, runsDirOf } from "./args.js";
import { interruptSignal } from "./interrupts.js";

/** `trellis stop`: the graceful stop of a run from any terminal (Ctrl-C while it waits: kill). */
export async function stopCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "stop");
  if (values.help) return help();
  const dir = findRun(path.resolve(runsDirOf(values["runs-dir"])), onlyPositional(positionals, "run id", "stop"));
  const live = readSupervisor(dir);
  if (!live) {
    process.stderr.write(`run ${path.basename(dir)} is not running (${summarizeRun(dir).status}): nothing to stop\n`);
    return 0;
  }
  const interrupt = interruptSignal();
  const result = await attachLive(live, stopView(path.basename(dir)), (press) => {
    press(); // the stop this command is for
    interrupt(press);
  });
  return result.kind === "ended" ? 0 : 1;
}

/** What `trellis stop` shows: what it asked, then how the run ended (not its whole history). */
function stopView(runId: string): RunView {
  const summary = summaryView(process.stderr);
  const say = (line: string) => void process.stderr.write(`${line}\n`);
  return {
    write: (e) => summary.write(e),
    interrupted: (what) => say(`${runId}: ${CTRL_C_SAYS[what]}`),
    close: (result) =>
      result.kind === "ended"
        ? summary.close(result)
        : say(
            result.kind === "detached"
              ? `left: run ${runId} may still be stopping; trellis attach ${runId} shows how it ends`
              : `lost contact with the run's supervisor; see its supervisor.log`,
          ),
  };
}
