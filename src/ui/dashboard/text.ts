/**
 * Width-aware string helpers for lines that may carry colour codes. Widths follow the terminal:
 * East Asian wide characters and emoji take two cells, combining marks none.
 */

const ANSI = /\u001b\[[0-9;]*m/g;

function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

function charWidth(cp: number): number {
  if (cp < 0x300) return 1;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

export function width(text: string): number {
  let w = 0;
  for (const ch of stripAnsi(text)) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/**
 * Cuts a line to `max` cells, ending with `ellipsis` when it cuts; colour codes are kept and
 * closed with a reset so a cut never bleeds colour into the next line.
 */
export function fit(text: string, max: number, ellipsis = "…"): string {
  if (max <= 0) return "";
  if (width(text) <= max) return text;
  const room = max - width(ellipsis);
  let out = "";
  let w = 0;
  let colored = false;
  for (const part of text.split(/(\u001b\[[0-9;]*m)/)) {
    if (part.startsWith("\u001b[")) {
      out += part;
      colored = true;
      continue;
    }
    for (const ch of part) {
      const cw = charWidth(ch.codePointAt(0)!);
      if (w + cw > room) return out + (colored ? "\u001b[0m" : "") + ellipsis;
      out += ch;
      w += cw;
    }
  }
  return out;
}

/** Pads (or cuts) to exactly `n` cells. */
export function padEnd(text: string, n: number, ellipsis = "…"): string {
  const cut = fit(text, n, ellipsis);
  return cut + " ".repeat(Math.max(0, n - width(cut)));
}

export function padStart(text: string, n: number, ellipsis = "…"): string {
  const cut = fit(text, n, ellipsis);
  return " ".repeat(Math.max(0, n - width(cut))) + cut;
}

/** `left` then `right` flush to the end of an `n`-cell line; `left` gives way first. */
export function spread(left: string, right: string, n: number, ellipsis = "…"): string {
  const rw = width(right);
  if (rw >= n) return fit(right, n, ellipsis);
  const l = fit(left, Math.max(0, n - rw - 1), ellipsis);
  return l + " ".repeat(Math.max(1, n - width(l) - rw)) + right;
}

/** Joins parts with a separator, dropping parts from the end until the line fits. */
export function joinFit(parts: readonly string[], sep: string, max: number): string {
  const kept = parts.filter(Boolean);
  while (kept.length > 1 && width(kept.join(sep)) > max) kept.pop();
  return fit(kept.join(sep), max);
}

/**
 * Wraps text at word boundaries into lines of at most `max` cells; continuation lines start with
 * `indent`. A word longer than a line (a path) gets a line of its own, whole: cutting it would
 * lose what it says, and the terminal wraps it.
 */
export function wrapWords(text: string, max: number, indent = ""): string[] {
  if (width(text) <= max) return [text];
  // Words at even indices, the spaces between them at odd ones: a line keeps its own spacing.
  const parts = text.split(/( +)/);
  const out: string[] = [];
  let line = parts[0] ?? "";
  for (let i = 1; i < parts.length; i += 2) {
    const next = line + parts[i]! + (parts[i + 1] ?? "");
    if (width(next) <= max || stripAnsi(line).trim() === "") line = next;
    else {
      out.push(line);
      line = indent + (parts[i + 1] ?? "");
    }
  }
  out.push(line);
  return out;
}
