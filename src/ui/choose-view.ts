/**
 * Which view a command shows: JSON lines with --json, or with no flag when stdout is not a
 * terminal (scripts); the plain progress line with --plain, terminal or not (nohup, Slurm logs),
 * or when stdin can't give keys; else the dashboard. `review` opens a finished run's history in
 * the dashboard; `resuming` marks the replayed history of a resumed run.
 */
import type { RunView } from "../app/attach.js";
import { loadDashboard } from "./load-dashboard.js";
import { jsonView, progressView } from "./plain-views.js";

interface ViewFlags {
  json?: boolean;
  plain?: boolean;
  review?: boolean;
  resuming?: boolean;
}

/** The dashboard's modules (Ink, React) load only when the dashboard is shown. */
export async function chooseView(flags: ViewFlags): Promise<RunView> {
  if (flags.json) return jsonView();
  if (flags.plain) return progressView(process.stderr, { resuming: flags.resuming });
  if (!process.stdout.isTTY) return jsonView();
  if (!process.stdin.isTTY) return progressView(process.stderr, { resuming: flags.resuming });
  const { dashboardView } = await loadDashboard(() => import("./dashboard-view.js"));
  return dashboardView({ review: flags.review });
}
