/** One registry drives the key handling, the hint bar and the help overlay. */

export type DashboardCommand = "stop" | "checkpoint" | "detach";

export type KeyAction = "detach" | "stop" | "checkpoint" | "help" | "alerts" | "next-page" | "zoom" | "close";

export interface KeyBinding {
  action: KeyAction;
  keys: string[];
  /** Shown in the hint bar (short) and the help overlay (long). */
  hint: string;
  help: string;
}

export const KEYS: readonly KeyBinding[] = [
  { action: "detach", keys: ["q"], hint: "detach", help: "leave the dashboard; training continues (trellis attach returns)" },
  { action: "stop", keys: ["s"], hint: "stop", help: "stop gracefully: save a checkpoint, then end (confirm with y)" },
  { action: "checkpoint", keys: ["c"], hint: "checkpoint", help: "save a checkpoint at the end of the current step" },
  { action: "next-page", keys: ["tab"], hint: "charts", help: "show the next charts" },
  { action: "zoom", keys: ["z"], hint: "zoom", help: "one chart, as large as the screen allows; z again to go back" },
  { action: "alerts", keys: ["a"], hint: "alerts", help: "list every health alert with its advice" },
  { action: "help", keys: ["?"], hint: "help", help: "this help; esc or ? to close" },
  { action: "close", keys: ["esc"], hint: "back", help: "close help or the alert list, cancel a stop" },
];

/** The binding an Ink key press maps to, if any. */
export function actionFor(input: string, key: { tab?: boolean; escape?: boolean }): KeyAction | undefined {
  const name = key.tab ? "tab" : key.escape ? "esc" : input;
  return KEYS.find((k) => k.keys.includes(name))?.action;
}
