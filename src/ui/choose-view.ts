/** Which view a command shows: JSON lines without a TTY or with --json, else the terminal view. */
import type { RunView } from "../app/attach.js";
import { jsonView, progressView } from "./views.js";

export function chooseView(flags: { json?: boolean; plain?: boolean }): RunView {
  if (flags.json || !process.stdout.isTTY) return jsonView();
  return progressView();
}
