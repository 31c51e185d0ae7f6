/**
 * Shows the dashboard on a terminal with the settings Ink 6.8 needs (docs/design/DASHBOARD.md §5.4): at most
 * 15 frames a second, only changed lines rewritten, Ctrl-C read as a key by the dashboard (it
 * stops the run, as SIGINT does on the plain path: app/attach.ts ctrlC), and the alternate screen so the shell's scrollback stays clean. Print
 * `finalSummary` after `unmount()`: it lands in the normal screen's scrollback.
 */
import { render } from "ink";
import type { GlyphMode } from "../../core/chart/raster.js";
import { Dashboard } from "./dashboard.js";
import type { DashboardCommand } from "./keys.js";
import type { DashboardStore } from "./store.js";

/** The frame cap: ~15 frames a second (docs/design/STYLE.md, render budget). */
const MAX_FPS = 15;
// Also home the cursor and clear: the alternate screen keeps the cursor where the shell left it.
const ENTER_ALT_SCREEN = "\u001b[?1049h\u001b[H\u001b[2J";
const LEAVE_ALT_SCREEN = "\u001b[?1049l";

export interface MountOptions {
  store: DashboardStore;
  onCommand: (command: DashboardCommand) => void;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  color?: boolean;
  glyphs?: GlyphMode;
  /** Draw on the terminal's alternate screen (default: when stdout is a TTY). */
  alternateScreen?: boolean;
  /** A finished run opened for review. */
  review?: boolean;
}

export interface MountedDashboard {
  /** Removes the dashboard and restores the screen; safe to call twice. */
  unmount(): void;
  waitUntilExit(): Promise<unknown>;
}

export function mountDashboard(o: MountOptions): MountedDashboard {
  const stdout = o.stdout ?? process.stdout;
  const alt = o.alternateScreen ?? Boolean(stdout.isTTY);
  if (alt) stdout.write(ENTER_ALT_SCREEN);
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    process.off("exit", restore);
    if (alt) stdout.write(LEAVE_ALT_SCREEN);
  };
  // However the process ends, the user gets their screen back.
  process.on("exit", restore);
  const instance = render(
    <Dashboard store={o.store} onCommand={o.onCommand} color={o.color} glyphs={o.glyphs} review={o.review} />,
    {
      stdout,
      stdin: o.stdin ?? process.stdin,
      maxFps: MAX_FPS,
      incrementalRendering: false,
      exitOnCtrlC: false,
      patchConsole: false,
    },
  );
  return {
    unmount() {
      instance.unmount();
      restore();
    },
    waitUntilExit: () => instance.waitUntilExit(),
  };
}
