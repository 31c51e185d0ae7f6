/**
 * The whole dashboard as lines, a pure function of a snapshot and the view settings: at most
 * rows-1 lines, none wider than the terminal. The Ink component only prints them.
 */
import type { DashboardState } from "../../core/run/dashboard-state.js";
import { chartBox } from "./chart-box.js";
import { chartSpecs, kpiRows, type ChartSpec } from "./charts-for.js";
import { footerLine, type Prompt } from "./footer.js";
import { gpuLines } from "./gpu-panel.js";
import { headerLines } from "./header.js";
import { alertLine, healthLine } from "./health-line.js";
import { infoLine } from "./info-line.js";
import { kpiLines } from "./kpi-table.js";
import { MIN_COLUMNS, MIN_ROWS, layoutFor } from "./layout.js";
import { logLines } from "./log-tail.js";
import { alertListLines, helpLines } from "./overlays.js";
import { generationsLines } from "./generations-panel.js";
import { DEFAULT_SETTINGS, type Overlay, type DashboardSettings } from "./settings.js";
import { SIDEBAR_WIDTH, sidebarLines } from "./sidebar.js";
import { fit, padEnd } from "./text.js";
import type { Theme } from "./theme.js";
import { makePanelContext } from "./panel-context.js";

export type { Overlay };

export interface FrameOptions extends Partial<DashboardSettings> {
  columns: number;
  rows: number;
  theme: Theme;
  /** Seconds, like event times. */
  now: number;
  prompt?: Prompt;
  /** Replaying a finished run (review): the footer says so. */
  review?: boolean;
}

const TOP_LINES = 4;
const BOTTOM_LINES = 1;
/** The wide layout, with its sidebar, from this size (docs/design/DASHBOARD.md §5.2, full tier). */
const WIDE_COLUMNS = 120;
const WIDE_ROWS = 40;

export function dashboardFrame(state: DashboardState, o: FrameOptions): string[] {
  const settings: DashboardSettings = { ...DEFAULT_SETTINGS, ...o };
  const wide = o.columns >= WIDE_COLUMNS && o.rows >= WIDE_ROWS;
  const main = wide ? o.columns - SIDEBAR_WIDTH : o.columns;
  const v = makePanelContext(state, o.now, o.columns, o.theme, settings);
  const mv = { ...v, width: main };
  const detail = v.shown?.detail;
  const specs = detail ? chartSpecs(detail, o.theme.color, settings.filter) : [];
  const alert = alertLine(v);
  const info = wide ? null : infoLine(v);
  const layout = layoutFor({
    columns: main,
    rows: o.rows,
    fixedTop: TOP_LINES,
    fixedBottom: BOTTOM_LINES,
    optional: { alert: alert !== null, info: info !== null, gpu: state.gpu.latest.length },
    charts: settings.zoom ? Math.min(1, specs.length) : specs.length,
    // The table leaves out what the charts show: plan for the rows it will have.
    kpiRows: detail
      ? kpiRows(
          detail,
          new Set(specs.flatMap((sp) => sp.layers.filter((l) => l.source === "train").map((l) => l.metric))),
          settings.filter,
        ).length + 1
      : 0,
    logLines: state.output.size,
  });

  if (layout.tier === "too-small") {
    const size = `${o.columns}x${o.rows}`;
    const notice =
      [
        `terminal too small: need ${MIN_COLUMNS}x${MIN_ROWS}, have ${size}`,
        `too small: ${size} < ${MIN_COLUMNS}x${MIN_ROWS}`,
        "too small",
      ].find((t) => t.length <= o.columns) ?? "";
    return [notice, fit(healthLine(v), o.columns)].slice(0, layout.lines);
  }

  const lines: string[] = [...headerLines(v), healthLine(v)];
  if (layout.alert && alert) lines.push(alert);
  const footer = footerLine(v, o.prompt ?? "none", o.review ?? false);

  // An overlay takes every line between the top and the footer, data or not.
  if (settings.overlay !== "none") {
    const rows = layout.lines - lines.length - BOTTOM_LINES;
    lines.push(
      ...(settings.overlay === "help"
        ? helpLines(v, rows)
        : settings.overlay === "generations"
          ? generationsLines(v, rows)
          : alertListLines(v, rows)),
    );
    lines.push(footer);
    return lines.slice(0, layout.lines).map((l) => fit(l, o.columns));
  }

  const body: string[] = [];
  const area = layout.chartRows * layout.chartHeight + layout.kpi;
  const shown = settings.zoom
    ? pick(specs, settings.page, 1)
    : pick(specs, settings.page, layout.chartRows * layout.chartsPerRow);
  const draw = (spec: ChartSpec, w: number, h: number) => chartBox(spec, detail!, w, h, o.theme, v.paint, settings);
  if (settings.zoom && shown.length && detail) body.push(...draw(shown[0]!, main, area));
  else {
    if (detail) body.push(...chartGrid(shown, layout.chartsPerRow, layout.chartWidth, layout.chartHeight, main, draw));
    const charted = new Set(shown.flatMap((s) => s.layers.filter((l) => l.source === "train").map((l) => l.metric)));
    body.push(...kpiLines(mv, detail, layout.kpi, charted));
  }
  if (detail && !specs.length && settings.filter)
    body.unshift(v.paint.dim(` no metric matches '${settings.filter}' (esc clears the filter)`));
  body.push(...gpuLines(mv, layout.gpu));
  if (layout.info && info) body.push(info);
  body.push(...logLines(mv, layout.log));

  const room = layout.lines - lines.length - BOTTOM_LINES;
  if (wide) {
    const side = sidebarLines(v, room);
    for (let i = 0; i < room; i++) lines.push(padEnd(body[i] ?? "", main) + side[i]!);
  } else lines.push(...body.slice(0, room));
  lines.push(footer);
  return lines.slice(0, layout.lines).map((l) => fit(l, o.columns));
}

/** `count` charts starting at page `page`; all of them when they fit. */
function pick(specs: readonly ChartSpec[], page: number, count: number): ChartSpec[] {
  if (count <= 0) return [];
  if (specs.length <= count) return [...specs];
  const start = (page * count) % specs.length;
  return Array.from({ length: count }, (_, i) => specs[(start + i) % specs.length]!);
}

function chartGrid(
  specs: readonly ChartSpec[],
  perRow: number,
  width: number,
  height: number,
  columns: number,
  draw: (s: ChartSpec, w: number, h: number) => string[],
): string[] {
  const out: string[] = [];
  for (let i = 0; i < specs.length; i += perRow) {
    const boxes = specs.slice(i, i + perRow).map((s) => draw(s, width, height));
    for (let r = 0; r < height; r++) out.push(padEnd(boxes.map((b) => b[r] ?? "").join(""), columns));
  }
  return out;
}
