/**
 * The one sanitiser for text shown on a terminal. A string from a recipe, a data file or an
 * event (a model name, a column, an error message, a path) may hold escape sequences that
 * would set the terminal's title, clear its screen, ring its bell or reorder what is shown
 * (bidi overrides). Every view passes such strings through here: each control character is
 * shown escaped ("\x1b", "\x07", "\u202e"), so the user sees what the string holds and the
 * terminal obeys none of it. Views that print several lines of text (a log tail, an error
 * with its context) keep newlines and tabs with `{ lines: true }`.
 */

/**
 * C0 controls (ESC, BEL, CR, backspace...), DEL, C1 controls (8-bit CSI U+009B, OSC U+009D...),
 * bidi embeddings, overrides and isolates, the Arabic letter mark, and the line and paragraph
 * separators.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");

function escaped(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

interface SanitiseOptions {
  /** Keep newlines and tabs (multi-line text); every other control is still escaped. */
  lines?: boolean;
}

/** `text` with every control and escape character shown escaped; safe to print on a terminal. */
export function sanitise(text: string, o: SanitiseOptions = {}): string {
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (ch) => (o.lines && (ch === "\n" || ch === "\t") ? ch : escaped(ch)));
}

/** Whether `text` holds anything `sanitise` would escape. */
export function needsSanitising(text: string): boolean {
  return UNSAFE.test(text);
}

/**
 * A value (an event, a run summary) with every string in it sanitised, for a view to fold and
 * show. Multi-line strings keep their lines: a view prints them on one line only after cutting
 * them itself. Objects without anything to escape are returned as they are (no copy).
 */
export function sanitiseDeep<T>(value: T): T {
  return deep(value, 0) as T;
}

/** Nesting beyond this is not walked (events are shallow; this bounds a hostile payload). */
const MAX_DEPTH = 32;

function deep(value: unknown, depth: number): unknown {
  if (typeof value === "string") return sanitise(value, { lines: true });
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    const items = value as unknown[];
    let out: unknown[] | undefined;
    items.forEach((v, i) => {
      const s = deep(v, depth + 1);
      if (s !== v) (out ??= [...items])[i] = s;
    });
    return out ?? items;
  }
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const key = sanitise(k, { lines: true });
    const s = deep(v, depth + 1);
    if (s !== v || key !== k) {
      out ??= { ...(value as Record<string, unknown>) };
      if (key !== k) delete out[k];
      out[key] = s;
    }
  }
  return out ?? value;
}

/**
 * A JSON text with the characters JSON leaves raw (DEL, C1 controls, bidi marks, the line
 * separators) written as \u escapes: the same JSON value, safe on a terminal. JSON.stringify
 * already escapes C0 controls (ESC included).
 */
export function terminalSafeJson(json: string): string {
  return json.replace(UNSAFE_ALL, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
