/**
 * The whole dashboard as lines, a pure function of a snapshot and the view settings: at most
 * rows-1 lines, none wider than the terminal. The Ink component only prints them.
 */
import { currentStage } from "../../core/run/progress.js";
import type { DashboardState } from "../../core/run/dashboard-state.js";
import { chartBox } from "./chart-box.js";
import { chartSpecs, kpiRows, type ChartSpec } from "./charts-for.js";
import { footerLine, type Prompt } from "./footer.js";
import { gpuLines } from "./gpu-panel.js";
import { headerLines } from "./header.js";
import { alertLine, healthLine } from "./health-line.js";
import { infoLine } from "./info-line.js";
import { kpiLines } from "./kpi-table.js";
import { MIN_COLUMNS, MIN_ROWS, planLayout } from "./layout.js";
import { logLines } from "./log-tail.js";
import { alertListLines, helpLines } from "./overlays.js";
import { fit, padEnd } from "./text.js";
import type { Theme } from "./theme.js";
import { makeView } from "./view.js";

export type Overlay = "none" | "help" | "alerts";

export interface FrameOptions {
  columns: number;
  rows: number;
  theme: Theme;
  /** Seconds, like event times. */
  now: number;
  /** Which page of charts (tab moves on). */
  page?: number;
  /** One chart, as large as the chart area. */
  zoom?: boolean;
  overlay?: Overlay;
  prompt?: Prompt;
}

const TOP_LINES = 4;
const BOTTOM_LINES = 1;

export function dashboardFrame(state: DashboardState, o: FrameOptions): string[] {
  const v = makeView(state, o.now, o.columns, o.theme);
  const cur = currentStage(state);
  const detail = cur?.detail;
  const specs = detail ? chartSpecs(detail, o.theme.color) : [];
  const alert = alertLine(v);
  const info = infoLine(v);
  const layout = planLayout({
    columns: o.columns,
    rows: o.rows,
    fixedTop: TOP_LINES,
    fixedBottom: BOTTOM_LINES,
    optional: { alert: alert !== null, info: info !== null, gpu: state.gpu.latest.length },
    charts: o.zoom ? Math.min(1, specs.length) : specs.length,
    kpiRows: detail ? kpiRows(detail, new Set()).length + 1 : 0,
    logLines: state.output.size,
  });

  if (layout.tier === "too-small") {
    const size = `${o.columns}x${o.rows}`;
    const notice = [`terminal too small: need ${MIN_COLUMNS}x${MIN_ROWS}, have ${size}`, `too small: ${size} < ${MIN_COLUMNS}x${MIN_ROWS}`, "too small"].find((t) => t.length <= o.columns) ?? "";
    return [notice, fit(healthLine(v), o.columns)].slice(0, layout.lines);
  }

  const lines: string[] = [...headerLines(v), healthLine(v)];
  if (layout.alert && alert) lines.push(alert);

  const area = layout.chartRows * layout.chartHeight + layout.kpi;
  if (o.overlay === "help") lines.push(...helpLines(v, area));
  else if (o.overlay === "alerts") lines.push(...alertListLines(v, area));
  else {
    const shown = o.zoom ? pick(specs, o.page ?? 0, 1) : pick(specs, o.page ?? 0, layout.chartRows * layout.chartsPerRow);
    if (o.zoom && shown.length && detail) {
      lines.push(...chartBox(shown[0]!, detail, o.columns, area, o.theme, v.paint));
    } else {
      if (detail) lines.push(...chartGrid(shown, layout.chartsPerRow, layout.chartWidth, layout.chartHeight, o.columns, (spec, w, h) => chartBox(spec, detail, w, h, o.theme, v.paint)));
      const charted = new Set(shown.flatMap((s) => s.layers.filter((l) => l.source === "train").map((l) => l.metric)));
      lines.push(...kpiLines(v, detail, layout.kpi, charted));
    }
  }
  lines.push(...gpuLines(v, layout.gpu));
  if (layout.info && info) lines.push(info);
  lines.push(...logLines(v, layout.log));
  lines.push(footerLine(v, o.prompt ?? "none"));
  return lines.slice(0, layout.lines).map((l) => fit(l, o.columns));
}

/** `count` charts starting at page `page`; all of them when they fit. */
function pick(specs: readonly ChartSpec[], page: number, count: number): ChartSpec[] {
  if (count <= 0) return [];
  if (specs.length <= count) return [...specs];
  const start = (page * count) % specs.length;
  return Array.from({ length: count }, (_, i) => specs[(start + i) % specs.length]!);
}

function chartGrid(specs: readonly ChartSpec[], perRow: number, width: number, height: number, columns: number, draw: (s: ChartSpec, w: number, h: number) => string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < specs.length; i += perRow) {
    const boxes = specs.slice(i, i + perRow).map((s) => draw(s, width, height));
    for (let r = 0; r < height; r++) out.push(padEnd(boxes.map((b) => b[r] ?? "").join(""), columns));
  }
  return out;
}
