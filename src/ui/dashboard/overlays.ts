/** Full-area overlays: the key help (from the key registry) and the list of alerts. */
import { formatAlert } from "./health-line.js";
import { KEYS } from "./keys.js";
import { fit, padEnd } from "./text.js";
import type { View } from "./view.js";

export function helpLines(v: View, rows: number): string[] {
  const lines = [
    v.paint.bold(" keys"),
    ...KEYS.map((k) => fit(` ${padEnd(v.paint.bold(k.keys.join(" ")), 6)} ${k.help}`, v.width)),
    "",
    fit(v.paint.dim(` The health line: one word per family of checks; ${v.sym.ok} fine, ${v.sym.warn} warning, ${v.sym.error} error.`), v.width),
    fit(v.paint.dim(" Guides: ln 2 (DPO loss), 0.5 (accuracy), 0 (margins). Dots: eval values."), v.width),
  ];
  return pad(lines, rows, v.width);
}

export function alertListLines(v: View, rows: number): string[] {
  const alerts = [...v.state.alerts].reverse();
  const head = v.paint.bold(` alerts (${alerts.length}), newest first`);
  const body = alerts.length ? alerts.map((a) => fit(" " + formatAlert(a, v), v.width)) : [v.paint.dim(" none: every check passes")];
  return pad([head, ...body], rows, v.width);
}

function pad(lines: string[], rows: number, width: number): string[] {
  const out = lines.slice(0, rows).map((l) => fit(l, width));
  while (out.length < rows) out.push("");
  return out;
}
