/** Number formats for tight places: axis labels, table cells, rates. */

/** At most `max` characters (5 by default): 0.693, -14.1, 12.3k, 1e-4, NaN. */
export function compact(value: number | undefined | null, max = 5): string {
  if (value === undefined || value === null) return "-";
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  const sign = value < 0 ? "-" : "";
  if (abs >= 1000) {
    for (const [div, unit] of [
      [1e12, "T"],
      [1e9, "G"],
      [1e6, "M"],
      [1e3, "k"],
    ] as const) {
      if (abs >= div) return fitDigits(sign, abs / div, unit, max);
    }
  }
  if (abs < 0.001) {
    const exp = Math.floor(Math.log10(abs));
    return `${sign}${Math.round(abs / 10 ** exp)}e${exp}`;
  }
  return fitDigits(sign, abs, "", max);
}

function fitDigits(sign: string, abs: number, unit: string, max: number): string {
  for (let digits = 3; digits >= 0; digits--) {
    const s = `${sign}${trimZeros(abs.toFixed(digits))}${unit}`;
    if (s.length <= max) return s;
  }
  return `${sign}${Math.round(abs)}${unit}`;
}

function trimZeros(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** Signed, for deltas: +0.04, -1.2. */
export function signed(value: number | undefined, max = 6): string {
  if (value === undefined || !Number.isFinite(value)) return "";
  return value > 0 ? `+${compact(value, max - 1)}` : compact(value, max);
}

/** 18.2k, 521, 3.4 */
export function rate(value: number | null | undefined): string | null {
  if (value === null || value === undefined || !Number.isFinite(value) || value <= 0) return null;
  return value >= 100 ? compact(Math.round(value), 6) : value.toFixed(value >= 10 ? 1 : 2);
}
