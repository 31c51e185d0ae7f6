/** A table of metrics: last value, change over the last 100 steps, and a sparkline of the stage. */
import { sparkline } from "../../core/chart/sparkline.js";
import type { StageDetail } from "../../core/run/stage-detail.js";
import { displayName, kpiRows } from "./charts-for.js";
import { compact, signed } from "./numbers.js";
import { padEnd, padStart } from "./text.js";
import type { PanelContext } from "./panel-context.js";

/** The Δ column compares with the value this many steps earlier. */
const DELTA_STEPS = 100;
const NAME = 25;
const VALUE = 8;
const DELTA = 8;

export function kpiLines(
  v: PanelContext,
  detail: StageDetail | undefined,
  rows: number,
  charted: ReadonlySet<string>,
): string[] {
  if (!detail || rows <= 0) return [];
  const all = kpiRows(detail, charted, v.settings.filter);
  const withHeader = rows >= 3 && all.length >= rows - 1;
  const list = all.slice(0, withHeader ? rows - 1 : rows);
  const nameWidth = Math.min(NAME, Math.max(8, v.width - VALUE - DELTA - 10));
  const trend = Math.max(0, v.width - nameWidth - VALUE - DELTA - 4);
  const out = list.map(({ name, series }) => {
    const last = series.last?.y;
    const lastX = series.last?.x ?? 0;
    const firstX = series.bins[0]?.firstX ?? lastX;
    const before = lastX > firstX ? series.valueAt(Math.max(firstX, lastX - DELTA_STEPS)) : undefined;
    const delta = last !== undefined && before !== undefined ? last - before : undefined;
    const spark = trend > 0 ? v.paint.cyan(sparkline(series, trend, v.theme.glyphs)) : "";
    const value =
      last !== undefined && !Number.isFinite(last)
        ? v.paint.red(padStart(compact(last, VALUE - 1), VALUE))
        : padStart(compact(last, VALUE - 1), VALUE);
    return `${padEnd(" " + displayName(name), nameWidth)} ${value} ${padStart(signed(delta, DELTA - 1), DELTA)}  ${spark}`;
  });
  if (withHeader && out.length)
    out.unshift(
      v.paint.dim(
        `${padEnd(" metric", nameWidth)} ${padStart("last", VALUE)} ${padStart(`${v.theme.glyphs === "ascii" ? "d" : "Δ"}${DELTA_STEPS}`, DELTA)}  trend`,
      ),
    );
  return out;
}
