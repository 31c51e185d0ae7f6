/**
 * Which view a command shows: JSON lines without a TTY or with --json; the dashboard on an
 * interactive terminal (keys need raw mode); else, or with --plain, the progress line.
 */
import type { RunView } from "../app/attach.js";
import { jsonView, progressView } from "./views.js";

/** The dashboard's modules (Ink, React) load only when the dashboard is shown. */
export async function chooseView(flags: { json?: boolean; plain?: boolean }): Promise<RunView> {
  if (flags.json || !process.stdout.isTTY) return jsonView();
  if (flags.plain || !process.stdin.isTTY) return progressView();
  return (await import("./dashboard-view.js")).dashboardView();
}
