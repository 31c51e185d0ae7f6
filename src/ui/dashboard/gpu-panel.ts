/** One line per GPU: utilisation and memory as bars with a sparkline, power and temperature. */
import type { GpuSample } from "../../core/events/protocol.js";
import { sparkline } from "../../core/chart/sparkline.js";
import { joinFit } from "./text.js";
import type { PanelContext } from "./panel-context.js";

/** nvitop's colour thresholds: util under 10 % is idle, memory over 80 % is heavy. */
const UTIL_LOW = 10;
const MEM_HIGH = 80;
const BAR = 10;
const SPARK = 12;

export function gpuLines(v: PanelContext, rows: number): string[] {
  const gpus = v.state.gpu.latest;
  if (rows <= 0 || gpus.length === 0) return [];
  const shown = gpus.length > rows ? gpus.slice(0, rows - 1) : gpus;
  const lines = shown.map((g) => gpuLine(v, g));
  if (shown.length < gpus.length) lines.push(v.paint.dim(` +${gpus.length - shown.length} more GPUs`));
  return lines;
}

function gpuLine(v: PanelContext, g: GpuSample): string {
  const { paint, sym } = v;
  const memPct = g.mem_total_mb > 0 ? (100 * g.mem_used_mb) / g.mem_total_mb : 0;
  const bar = (pct: number, tone: (s: string) => string) => {
    const filled = Math.round((Math.min(100, Math.max(0, pct)) / 100) * BAR);
    return sym.barLeft + tone(sym.barFull.repeat(filled)) + paint.dim(sym.barEmpty.repeat(BAR - filled)) + sym.barRight;
  };
  const utilTone = g.util < UTIL_LOW ? paint.yellow : paint.green;
  const memTone = memPct >= MEM_HIGH ? paint.yellow : paint.green;
  const utilSeries = v.state.gpu.util.get(g.index);
  const name = g.name
    .replace(/^NVIDIA\s+/i, "")
    .split(/\s+/)
    .slice(0, 2)
    .join(" ");
  const gib = (mb: number) => (mb / 1024).toFixed(mb >= 10240 ? 0 : 1);
  return joinFit(
    [
      ` GPU${g.index} ${name}`,
      `util ${bar(g.util, utilTone)} ${String(Math.round(g.util)).padStart(3)}%`,
      `mem ${bar(memPct, memTone)} ${gib(g.mem_used_mb)}/${gib(g.mem_total_mb)}G`,
      g.power_w !== undefined ? `${Math.round(g.power_w)}W` : "",
      g.temp_c !== undefined ? `${Math.round(g.temp_c)}°C` : "",
      utilSeries && utilSeries.length > 1 ? paint.cyan(sparkline(utilSeries, SPARK, v.theme.glyphs)) : "",
    ],
    "  ",
    v.width,
  );
}
