/**
 * How many lines each part of the dashboard gets. Pure arithmetic on the terminal size and what
 * there is to show. The frame uses at most rows-1 lines: Ink 6.8 clears and redraws the whole
 * screen on every frame once the output reaches the terminal's height (docs/design/DASHBOARD.md §5.4).
 */

/** Below this the dashboard shows a one-line notice instead (btop's "terminal too small"). */
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 8;
/** A chart column aims at this width: 2 charts at 80 columns, 3 at 120, 4 from 150. */
const CHART_TARGET_WIDTH = 38;
const MAX_CHARTS_PER_ROW = 4;
/** Plot rows per chart: fewer can't show a trend, more is better spent on another chart. */
const MIN_PLOT_ROWS = 4;
const MAX_PLOT_ROWS = 12;
/** The log tail gets a sixth of the free lines, 1 to 8. */
const LOG_SHARE = 6;
const MAX_LOG_ROWS = 8;
/** The metric table gets a quarter, at least 2 rows. */
const KPI_SHARE = 4;
const MIN_KPI_ROWS = 2;
const MAX_KPI_ROWS = 8;

export interface LayoutInput {
  columns: number;
  rows: number;
  /** Lines always shown at the top (header, progress, health) and bottom (keys). */
  fixedTop: number;
  fixedBottom: number;
  /** Optional one-line parts, in the order they are dropped when space is short. */
  optional: { alert: boolean; info: boolean; gpu: number };
  charts: number;
  kpiRows: number;
  logLines: number;
}

export interface Layout {
  tier: "full" | "compact" | "mini" | "too-small";
  /** Lines the frame may use: rows - 1. */
  lines: number;
  alert: boolean;
  info: boolean;
  gpu: number;
  chartRows: number;
  chartsPerRow: number;
  chartWidth: number;
  /** Box height: plot rows + 2. */
  chartHeight: number;
  kpi: number;
  log: number;
}

export function layoutFor(input: LayoutInput): Layout {
  const lines = Math.max(1, input.rows - 1);
  const none = {
    alert: false,
    info: false,
    gpu: 0,
    chartRows: 0,
    chartsPerRow: 0,
    chartWidth: 0,
    chartHeight: 0,
    kpi: 0,
    log: 0,
  };
  if (input.columns < MIN_COLUMNS || input.rows < MIN_ROWS) return { tier: "too-small", lines, ...none };

  let rest = lines - input.fixedTop - input.fixedBottom;
  const take = (want: boolean | number, n = 1) => {
    const got = typeof want === "number" ? Math.min(want, Math.max(0, rest)) : want && rest >= n ? n : 0;
    rest -= got;
    return got;
  };
  const alert = take(input.optional.alert) > 0;
  const gpu = take(Math.min(input.optional.gpu, rest > 12 ? 2 : rest > 6 ? 1 : 0));
  const info = take(input.optional.info && rest > 4) > 0;
  const log = take(
    input.logLines > 0 ? Math.min(input.logLines, clamp(Math.floor(rest / LOG_SHARE), 1, MAX_LOG_ROWS)) : 0,
  );

  const wantKpi = Math.min(input.kpiRows, clamp(Math.floor(rest / KPI_SHARE), MIN_KPI_ROWS, MAX_KPI_ROWS));
  const chartArea = rest - wantKpi;
  const perRow = clamp(Math.floor((input.columns + 2) / CHART_TARGET_WIDTH), 1, MAX_CHARTS_PER_ROW);
  const chartRows =
    input.charts > 0 ? Math.min(Math.ceil(input.charts / perRow), Math.floor(chartArea / (MIN_PLOT_ROWS + 2))) : 0;
  let chartHeight = 0;
  if (chartRows > 0) {
    chartHeight = Math.min(MAX_PLOT_ROWS, Math.floor(chartArea / chartRows) - 2) + 2;
    rest -= chartRows * chartHeight;
  }
  const kpi = take(Math.min(input.kpiRows, rest));
  const extraLog = input.logLines > log ? take(Math.min(input.logLines - log, MAX_LOG_ROWS - log)) : 0;
  const chartsPerRow = chartRows > 0 ? Math.min(perRow, input.charts) : 0;
  return {
    tier: chartRows === 0 ? "mini" : input.columns >= 110 && input.rows >= 34 ? "full" : "compact",
    lines,
    alert,
    info,
    gpu,
    chartRows,
    chartsPerRow,
    chartWidth: chartsPerRow > 0 ? Math.floor(input.columns / chartsPerRow) : 0,
    chartHeight,
    kpi,
    log: log + extraLog,
  };
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}
