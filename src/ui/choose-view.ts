/**
 * Which view a command shows: JSON lines without a TTY or with --json; the dashboard on an
 * interactive terminal (keys need raw mode); else, or with --plain, the progress line.
 */
import type { RunView } from "../app/attach.js";
import { dashboardView } from "./dashboard-view.js";
import { jsonView, progressView } from "./views.js";

export function chooseView(flags: { json?: boolean; plain?: boolean }): RunView {
  if (flags.json || !process.stdout.isTTY) return jsonView();
  if (flags.plain || !process.stdin.isTTY) return progressView();
  return dashboardView();
}
