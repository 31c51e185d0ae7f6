/** What every panel builder gets: the snapshot, the clock, the width, and how to draw. */
import type { DashboardState } from "../../core/run/dashboard-state.js";
import { painter, SYMBOLS, type Painter, type Symbols, type Theme } from "./theme.js";

export interface View {
  state: DashboardState;
  /** Seconds, like event times. */
  now: number;
  width: number;
  theme: Theme;
  paint: Painter;
  sym: Symbols;
}

export function makeView(state: DashboardState, now: number, width: number, theme: Theme): View {
  return { state, now, width, theme, paint: painter(theme), sym: SYMBOLS[theme.glyphs] };
}
