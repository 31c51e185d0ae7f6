/** One registry drives the key handling, the hint bar and the help overlay. */

export type DashboardCommand = "stop" | "checkpoint" | "detach";

export type KeyAction =
  | "detach"
  | "help"
  | "stop"
  | "checkpoint"
  | "next-page"
  | "stage-tab"
  | "zoom"
  | "filter"
  | "smooth"
  | "log-y"
  | "x-axis"
  | "pan-back"
  | "pan-forward"
  | "time-zoom-in"
  | "time-zoom-out"
  | "alerts"
  | "generations"
  | "next-prompt"
  | "prev-prompt"
  | "close";

interface KeyBinding {
  action: KeyAction;
  keys: string[];
  /** Shown in the hint bar (short) and the help overlay (long). */
  hint: string;
  help: string;
  /** Listed in help only: the hint bar has room for the common ones. */
  helpOnly?: boolean;
}

/** In the hint bar's order: what is dropped first when the terminal is narrow comes last. */
export const KEYS: readonly KeyBinding[] = [
  {
    action: "detach",
    keys: ["q"],
    hint: "detach",
    help: "leave the dashboard; training continues (trellis attach returns, trellis stop stops it)",
  },
  { action: "help", keys: ["?"], hint: "help", help: "this help; esc or ? to close" },
  {
    action: "stop",
    keys: ["s"],
    hint: "stop",
    help: "stop gracefully: save a checkpoint, then end (confirm with y; Ctrl-C: at once, twice: kill)",
  },
  { action: "checkpoint", keys: ["c"], hint: "checkpoint", help: "save a checkpoint at the end of the current step" },
  { action: "next-page", keys: ["tab"], hint: "charts", help: "show the next charts" },
  {
    action: "stage-tab",
    keys: ["t"],
    hint: "stage",
    help: "the next stage's tab: its charts and table (back on the live stage, it follows the run)",
  },
  // Shown in the hint bar only when the run has generations (footer.ts).
  {
    action: "generations",
    keys: ["g"],
    hint: "answers",
    help: "generations: each prompt's latest answer beside the previous one and the starting model's",
  },
  { action: "zoom", keys: ["z"], hint: "zoom", help: "one chart, as large as the screen allows; z again to go back" },
  {
    action: "filter",
    keys: ["/"],
    hint: "filter",
    help: "filter charts and metrics by name (type, enter keeps, esc clears)",
  },
  { action: "smooth", keys: ["e"], hint: "smooth", help: "EMA smoothing of the curves: off, 0.6, 0.9, 0.99" },
  { action: "log-y", keys: ["y"], hint: "log-y", help: "log scale on the y axis (values <= 0 left out)" },
  { action: "x-axis", keys: ["x"], hint: "x axis", help: "x axis: steps, tokens (when logged), wall time" },
  { action: "alerts", keys: ["a"], hint: "alerts", help: "list every health alert with its advice" },
  {
    action: "pan-back",
    keys: ["left"],
    hint: "earlier",
    help: "with the time zoomed in: move to earlier steps",
    helpOnly: true,
  },
  { action: "pan-forward", keys: ["right"], hint: "later", help: "move to later steps", helpOnly: true },
  {
    action: "time-zoom-in",
    keys: ["+", "="],
    hint: "zoom in",
    help: "zoom in on time: half the steps, twice the detail",
    helpOnly: true,
  },
  { action: "time-zoom-out", keys: ["-"], hint: "zoom out", help: "zoom back out on time", helpOnly: true },
  {
    action: "next-prompt",
    keys: ["]"],
    hint: "next prompt",
    help: "generations panel: the next prompt",
    helpOnly: true,
  },
  {
    action: "prev-prompt",
    keys: ["["],
    hint: "prev prompt",
    help: "generations panel: the previous prompt",
    helpOnly: true,
  },
  {
    action: "close",
    keys: ["esc"],
    hint: "back",
    help: "close help or the alert list, clear the filter, cancel a stop",
    helpOnly: true,
  },
];

interface InkKey {
  ctrl?: boolean;
  tab?: boolean;
  escape?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
}

/** The name a key press goes by in the registry. */
export function keyName(input: string, key: InkKey): string {
  // In raw mode Ctrl-C arrives as "c" with ctrl: never take it for "checkpoint".
  if (key.ctrl) return `ctrl-${input}`;
  return key.tab ? "tab" : key.escape ? "esc" : key.leftArrow ? "left" : key.rightArrow ? "right" : input;
}

/** The binding an Ink key press maps to, if any. */
export function actionFor(input: string, key: InkKey): KeyAction | undefined {
  const name = keyName(input, key);
  return KEYS.find((k) => k.keys.includes(name))?.action;
}

/** How a key reads on screen. */
export function keyLabel(name: string): string {
  return name === "left" ? "←" : name === "right" ? "→" : name;
}
