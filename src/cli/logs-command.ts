/** `trellis logs`: a run's events without the dashboard. */
import path from "node:path";
import { readAllEvents, warnOnStderr } from "../adapters/event-file.js";
import { followRun } from "../adapters/ws-client.js";
import { runFiles, readSupervisor } from "../app/prepared-run.js";
import { findRun } from "../app/list-runs.js";
import type { RunEvent } from "../core/events/protocol.js";
import { logFilter } from "../core/run/log-filter.js";
import { sanitise } from "../core/text/sanitise.js";
import { eventLine, shownEvent } from "../ui/shown-event.js";
import { parse, runsDirOf } from "./args.js";

export async function logsCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "logs");
  if (values.help) return help();
  const dir = findRun(path.resolve(runsDirOf(values["runs-dir"])), positionals[0]);
  const keep = logFilter({ types: values.type, stages: values.stage, since: values.since }, Date.now() / 1000);
  const print = (e: RunEvent) => {
    if (!keep(e)) return;
    process.stdout.write(
      values.json ? `${eventLine(e)}\n` : `${sanitise(formatLogLine(shownEvent(e)), { lines: true })}\n`,
    );
  };
  const live = values.follow ? readSupervisor(dir) : undefined;
  if (!live) {
    for (const e of await readAllEvents(runFiles(dir).events)) print(e);
    return 0;
  }
  const follower = followRun({ url: live.url, token: live.token, onEvent: print, onSkipped: warnOnStderr });
  await follower.done;
  return 0;
}

function formatLogLine(e: Record<string, unknown> & { type: string; seq: number; time: number }): string {
  const { type, seq, time, stage, ...rest } = e;
  const when = new Date(time * 1000).toISOString().slice(11, 19);
  const fields =
    type === "output"
      ? String(rest.line)
      : Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join(" ");
  return `${when} #${seq} ${typeof stage === "string" ? `[${stage}] ` : ""}${type} ${fields}`.trimEnd();
}
