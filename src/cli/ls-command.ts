/** `trellis ls`: the runs, one line each. */
import path from "node:path";
import { listRunIds, summarizeRun } from "../app/list-runs.js";
import { clock } from "../core/clock.js";
import { sanitise, sanitiseDeep } from "../core/text/sanitise.js";
import { jsonLine } from "../ui/shown-event.js";
import { parse, runsDirOf } from "./args.js";

export async function lsCommand(rest: string[], help: () => number): Promise<number> {
  const { values } = parse(rest, "ls");
  if (values.help) return help();
  const runsDir = path.resolve(runsDirOf(values["runs-dir"]));
  const runs = listRunIds(runsDir).map((id) => summarizeRun(path.join(runsDir, id)));
  if (values.json) {
    process.stdout.write(`${jsonLine(runs)}\n`);
    return 0;
  }
  if (!runs.length) {
    process.stdout.write(`no runs in ${runsDir}\n`);
    return 0;
  }
  // What the recipe and its events wrote goes through the one terminal sanitiser.
  const shown = runs.map(sanitiseDeep);
  const rows = shown.map((r) => [
    r.id,
    r.failedStage && r.status !== "finished" ? `${r.status} in ${r.failedStage}` : r.status,
    r.trainers || "-",
    r.step !== null ? `${r.stage && r.trainers.includes("+") ? `${r.stage} ` : ""}${r.step}/${r.maxSteps ?? "?"}` : "-",
    r.duration !== null ? clock(r.duration) : "-",
    r.preference !== null ? r.preference.toFixed(2) : "-",
    r.startedAt ? new Date(r.startedAt * 1000).toISOString().replace("T", " ").slice(0, 19) : "-",
    r.status === "finished" || !r.reason ? "" : cut(sanitise(r.reason), REASON_CHARS),
  ]);
  const head = ["RUN", "STATUS", "TRAINER", "STEPS", "TIME", "PREF", "STARTED", "REASON"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [head, ...rows])
    process.stdout.write(
      `${row
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd()}\n`,
    );
  return 0;
}

/** `ls` keeps one line a run: a longer reason is in `trellis logs` and the summary. */
const REASON_CHARS = 80;

function cut(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}
