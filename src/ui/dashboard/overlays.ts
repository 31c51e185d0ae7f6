/** Full-area overlays: the key help (from the key registry) and the list of alerts. */
import { formatAlert } from "./health-line.js";
import { KEYS as ALL_KEYS, keyLabel } from "./keys.js";
import { fit, padEnd } from "./text.js";
import type { PanelContext } from "./panel-context.js";

/** The generations panel's keys are listed only for runs that have generations, as in the hint bar. */
const GENERATION_KEYS = new Set(["generations", "next-prompt", "prev-prompt"]);

export function helpLines(v: PanelContext, rows: number): string[] {
  const KEYS = ALL_KEYS.filter((k) => v.state.generations.length > 0 || !GENERATION_KEYS.has(k.action));
  const key = (k: (typeof KEYS)[number]) => k.keys.map(keyLabel).join(" ");
  const long = [
    v.paint.bold(" keys"),
    ...KEYS.map((k) => fit(` ${padEnd(v.paint.bold(key(k)), 6)} ${k.help}`, v.width)),
    "",
    fit(
      v.paint.dim(
        ` The health line: one word per family of checks; ${v.sym.ok} fine, ${v.sym.warn} warning, ${v.sym.error} error.`,
      ),
      v.width,
    ),
    fit(v.paint.dim(" Guides: ln 2 (DPO loss), 0.5 (accuracy), 0 (margins). Dots: eval values."), v.width),
  ];
  if (long.length <= rows || KEYS.length + 1 <= rows) return pad(long, rows, v.width);
  // Too few rows for a line per key: two columns of short hints.
  const half = Math.ceil(KEYS.length / 2);
  const col = Math.floor(v.width / 2);
  const cell = (k: (typeof KEYS)[number] | undefined) =>
    k ? padEnd(` ${padEnd(v.paint.bold(key(k)), 5)} ${k.hint}`, col) : "";
  const short = [v.paint.bold(" keys (a wider or taller terminal shows what each does)")];
  for (let i = 0; i < half; i++) short.push(cell(KEYS[i]) + cell(KEYS[i + half]));
  return pad(short, rows, v.width);
}

export function alertListLines(v: PanelContext, rows: number): string[] {
  const alerts = [...v.state.alerts].reverse();
  const head = v.paint.bold(` alerts (${alerts.length}), newest first`);
  const body = alerts.length
    ? alerts.map((a) => fit(" " + formatAlert(a, v), v.width))
    : [v.paint.dim(" none: every check passes")];
  return pad([head, ...body], rows, v.width);
}

function pad(lines: string[], rows: number, width: number): string[] {
  const out = lines.slice(0, rows).map((l) => fit(l, width));
  while (out.length < rows) out.push("");
  return out;
}
