/**
 * What the viewer chose to see, apart from the run: which stage's tab, which charts, smoothing,
 * scales, the metric filter, the time window. A pure reducer over key actions, so the component
 * holds one value and the frame is a function of (state, settings).
 */
import { SMOOTHING_LEVELS } from "../../core/chart/derive.js";
import type { KeyAction } from "./keys.js";

export type Overlay = "none" | "help" | "alerts" | "generations";
type XAxis = "step" | "tokens" | "time";
const X_AXES: readonly XAxis[] = ["step", "tokens", "time"];
/** Time zoom doubles per key press, up to this factor: 1/64 of a run is a few hundred steps of 20k. */
const MAX_TIME_ZOOM = 64;
/** A pan moves a quarter of the window. */
const PAN_STEP = 0.25;

export interface DashboardSettings {
  page: number;
  zoom: boolean;
  overlay: Overlay;
  /** The stage whose tab is shown, by index; null follows the running stage. */
  stageTab: number | null;
  /** Index into SMOOTHING_LEVELS. */
  smoothing: number;
  logY: boolean;
  xAxis: XAxis;
  /** Case-insensitive substring of metric names; "" shows all. */
  filter: string;
  /** True while the filter is being typed. */
  editingFilter: boolean;
  timeZoom: number;
  /** In windows from the newest point. */
  timePan: number;
  /** The prompt the generations panel shows (taken modulo the number of prompts). */
  promptPage: number;
}

export const DEFAULT_SETTINGS: DashboardSettings = {
  page: 0,
  zoom: false,
  overlay: "none",
  stageTab: null,
  smoothing: 0,
  logY: false,
  xAxis: "step",
  filter: "",
  editingFilter: false,
  timeZoom: 1,
  timePan: 0,
  promptPage: 0,
};

export interface StageContext {
  stages: number;
  /** Index of the stage the dashboard follows (the running one). */
  live: number;
}

export function applyAction(s: DashboardSettings, action: KeyAction, ctx: StageContext): DashboardSettings {
  switch (action) {
    case "help":
      return { ...s, overlay: s.overlay === "help" ? "none" : "help" };
    case "alerts":
      return { ...s, overlay: s.overlay === "alerts" ? "none" : "alerts" };
    case "generations":
      return { ...s, overlay: s.overlay === "generations" ? "none" : "generations" };
    case "next-prompt":
      return { ...s, promptPage: s.promptPage + 1 };
    case "prev-prompt":
      return { ...s, promptPage: s.promptPage - 1 };
    case "next-page":
      return { ...s, page: s.page + 1 };
    case "zoom":
      return { ...s, zoom: !s.zoom };
    case "stage-tab": {
      if (ctx.stages <= 1) return s;
      const next = ((s.stageTab ?? ctx.live) + 1) % ctx.stages;
      return { ...s, stageTab: next === ctx.live ? null : next, page: 0 };
    }
    case "smooth":
      return { ...s, smoothing: (s.smoothing + 1) % SMOOTHING_LEVELS.length };
    case "log-y":
      return { ...s, logY: !s.logY };
    case "x-axis":
      return { ...s, xAxis: X_AXES[(X_AXES.indexOf(s.xAxis) + 1) % X_AXES.length]! };
    case "filter":
      return { ...s, editingFilter: true, overlay: "none" };
    case "time-zoom-in":
      return { ...s, timeZoom: Math.min(MAX_TIME_ZOOM, s.timeZoom * 2) };
    case "time-zoom-out": {
      const timeZoom = Math.max(1, s.timeZoom / 2);
      return { ...s, timeZoom, timePan: Math.min(s.timePan, timeZoom - 1) };
    }
    case "pan-back":
      return { ...s, timePan: Math.min(s.timeZoom - 1, s.timePan + PAN_STEP) };
    case "pan-forward":
      return { ...s, timePan: Math.max(0, s.timePan - PAN_STEP) };
    case "close":
      return s.overlay !== "none" ? { ...s, overlay: "none" } : { ...s, filter: "", timeZoom: 1, timePan: 0 };
    default:
      return s;
  }
}

/** Typing into the filter: printable characters append, backspace deletes, enter keeps, esc clears. */
export function editFilter(
  s: DashboardSettings,
  input: string,
  key: { return?: boolean; escape?: boolean; backspace?: boolean; delete?: boolean },
): DashboardSettings {
  if (key.return) return { ...s, editingFilter: false };
  if (key.escape) return { ...s, editingFilter: false, filter: "" };
  if (key.backspace || key.delete) return { ...s, filter: s.filter.slice(0, -1) };
  const printable = [...input].filter((c) => c >= " " && c !== "\u007f").join("");
  return printable ? { ...s, filter: s.filter + printable, page: 0 } : s;
}

export function matchesFilter(name: string, filter: string): boolean {
  return !filter || name.toLowerCase().includes(filter.toLowerCase());
}
