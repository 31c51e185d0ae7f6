/** Small text formatters shared by the terminal views. */

export function metric(value: number | undefined): string {
  if (value === undefined) return "-";
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(2) : value.toFixed(abs >= 100 ? 1 : 3);
}

export function bar(done: number, total: number, width: number, ascii = false): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(fraction * width);
  return ascii
    ? `${"#".repeat(filled)}${"-".repeat(width - filled)}`
    : `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
}

/** Colour only when the terminal wants it (https://no-color.org). */
export function painter(enabled: boolean) {
  const wrap = (code: number) => (text: string) => (enabled ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { green: wrap(32), red: wrap(31), yellow: wrap(33), dim: wrap(2), bold: wrap(1) };
}

/**
 * The one colour decision, for every output (progress line, summaries, dashboard, compare screen):
 * colour only on a terminal, and off when NO_COLOR is present and non-empty (https://no-color.org;
 * an empty NO_COLOR is as good as none) or the terminal is dumb.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== "dumb";
}
