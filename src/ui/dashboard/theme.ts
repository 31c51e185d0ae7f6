/**
 * Colour and glyphs. Colour is a choice made once (colorEnabled in ../format.ts), never a meaning on its
 * own: every status also has a glyph or a word. ASCII glyphs replace braille, blocks and box
 * drawing where the terminal can't show them (non-UTF-8 locale, the Linux console).
 */
import type { GlyphMode } from "../../core/chart/raster.js";

export interface Theme {
  color: boolean;
  glyphs: GlyphMode;
}

export type Paint = (text: string) => string;

export interface Painter {
  green: Paint;
  red: Paint;
  yellow: Paint;
  cyan: Paint;
  magenta: Paint;
  blue: Paint;
  dim: Paint;
  bold: Paint;
  inverse: Paint;
}

const sgr = (open: number, close: number) => (text: string) => (text ? `\u001b[${open}m${text}\u001b[${close}m` : text);
const plain: Paint = (text) => text;

export function painter(theme: Theme): Painter {
  if (!theme.color)
    return {
      green: plain,
      red: plain,
      yellow: plain,
      cyan: plain,
      magenta: plain,
      blue: plain,
      dim: plain,
      bold: plain,
      inverse: plain,
    };
  return {
    green: sgr(32, 39),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    magenta: sgr(35, 39),
    blue: sgr(34, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
    inverse: sgr(7, 27),
  };
}

/** ASCII on the Linux console or under a locale that is set and is not UTF-8. */
export function defaultGlyphs(env: NodeJS.ProcessEnv = process.env): GlyphMode {
  if (env.TERM === "linux") return "ascii";
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG;
  return locale && !/utf-?8/i.test(locale) ? "ascii" : "braille";
}

export interface Symbols {
  ok: string;
  warn: string;
  error: string;
  running: string;
  pending: string;
  stopped: string;
  arrow: string;
  sep: string;
  barFull: string;
  barEmpty: string;
  barLeft: string;
  barRight: string;
  dot: string;
  ellipsis: string;
  box: { tl: string; tr: string; bl: string; br: string; h: string; v: string; tee: string };
}

export const SYMBOLS: Record<GlyphMode, Symbols> = {
  braille: {
    ok: "✓",
    warn: "⚠",
    error: "✗",
    running: "●",
    pending: "○",
    stopped: "■",
    arrow: "→",
    sep: "▸",
    barFull: "█",
    barEmpty: "░",
    barLeft: "▕",
    barRight: "▏",
    dot: "·",
    ellipsis: "…",
    box: { tl: "┌", tr: "┐", bl: "└", br: "┘", h: "─", v: "│", tee: "┴" },
  },
  ascii: {
    ok: "+",
    warn: "!",
    error: "x",
    running: "*",
    pending: "-",
    stopped: "#",
    arrow: "->",
    sep: ">",
    barFull: "#",
    barEmpty: "-",
    barLeft: "[",
    barRight: "]",
    dot: "-",
    ellipsis: "~",
    box: { tl: "+", tr: "+", bl: "+", br: "+", h: "-", v: "|", tee: "+" },
  },
};
