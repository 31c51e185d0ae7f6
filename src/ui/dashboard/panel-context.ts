/** What every panel builder gets: the snapshot, the clock, the width, how to draw, what is chosen. */
import { currentStage, type CurrentStage } from "../../core/run/progress.js";
import type { DashboardState } from "../../core/run/dashboard-state.js";
import { DEFAULT_SETTINGS, type DashboardSettings } from "./settings.js";
import { painter, SYMBOLS, type Painter, type Symbols, type Theme } from "./theme.js";

export interface PanelContext {
  state: DashboardState;
  /** Seconds, like event times. */
  now: number;
  width: number;
  theme: Theme;
  paint: Painter;
  sym: Symbols;
  settings: DashboardSettings;
  /** The stage whose tab is shown: the chosen one, else the running one. */
  shown: CurrentStage | undefined;
}

export function makePanelContext(
  state: DashboardState,
  now: number,
  width: number,
  theme: Theme,
  settings: DashboardSettings = DEFAULT_SETTINGS,
): PanelContext {
  return {
    state,
    now,
    width,
    theme,
    paint: painter(theme),
    sym: SYMBOLS[theme.glyphs],
    settings,
    shown: shownStage(state, settings.stageTab),
  };
}

function shownStage(state: DashboardState, tab: number | null): CurrentStage | undefined {
  const stage = tab !== null ? state.run.stages[tab] : undefined;
  return stage ? { stage, detail: state.stages[stage.id], index: tab! + 1 } : currentStage(state);
}
