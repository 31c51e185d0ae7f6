/**
 * `--help` text of every command, generated from the command table (commands/). CommonJS (as is
 * the table), so that bin/trellis.js answers `trellis --help` without starting Node's ESM loader
 * (~30 ms).
 */
import table = require("./commands/index.cjs");
import type { CommandSpec, FlagSpec } from "./commands/spec.cjs";

const { COMMANDS, GROUPS, PROGRAM } = table;

/** Help lines are wrapped to this many columns. */
const WIDTH = 100;
/** Where a flag's help starts: after `  --flag VALUE`, padded. */
const HELP_COLUMN = 23;
/** Where a command's summary starts in `trellis --help` (one line each, unwrapped). */
const SUMMARY_COLUMN = 25;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

/** `-o, --out DIR`: the flag as it is typed. */
function flagLabel(name: string, flag: FlagSpec): string {
  return `${flag.short ? `-${flag.short}, ` : ""}--${name}${flag.value ? ` ${flag.value}` : ""}`;
}

/** The flag's help with its default, as the reader is told it. */
function flagText(flag: FlagSpec): string {
  return flag.default === undefined ? flag.help : `${flag.help} (default: ${flag.default})`;
}

/** `  label   text`, the text wrapped and aligned at `column` (or after the label when it is longer). */
function row(label: string, text: string, column: number, width = WIDTH): string {
  const head = `  ${label}`;
  const start = head.length + 2 > column ? head.length + 2 : column;
  const [first = "", ...rest] = wrap(text, width - column);
  return [`${head.padEnd(start)}${first}`, ...rest.map((l) => `${" ".repeat(column)}${l}`)].join("\n");
}

/** The flags of one help section (undefined: Options), in the table's order. */
function flagsIn(spec: CommandSpec, section: string | undefined): [string, FlagSpec][] {
  return Object.entries(spec.flags).filter(([, f]) => f.section === section);
}

function commandHelp(spec: CommandSpec): string {
  const [first, ...more] = spec.usage;
  const out = [`Usage: trellis ${first}`, ...more.map((u) => `       trellis ${u}`), "", spec.description];
  const options = flagsIn(spec, undefined);
  if (options.length)
    out.push("", "Options:", ...options.map(([n, f]) => row(flagLabel(n, f), flagText(f), HELP_COLUMN)));
  for (const [key, section] of Object.entries(spec.sections ?? {})) {
    const flags = flagsIn(spec, key);
    if (!flags.length) continue;
    const title = [section.title];
    if (section.brief) {
      const names = flags.map(([n]) => `--${n}`).join(", ");
      out.push(
        "",
        ...title,
        ...wrap(names, WIDTH - 2).map((l) => `  ${l}`),
        ...wrap(section.brief, WIDTH - HELP_COLUMN).map((l) => `${" ".repeat(HELP_COLUMN)}${l}`),
      );
    } else out.push("", ...title, ...flags.map(([n, f]) => row(flagLabel(n, f), flagText(f), HELP_COLUMN)));
  }
  if (spec.notes) out.push("", spec.notes);
  return `${out.join("\n")}\n`;
}

function programHelp(): string {
  const listed = COMMANDS.filter((c) => !GROUPS.includes(c.name));
  return `${PROGRAM.title}

Usage: ${PROGRAM.usage}

Commands:
${listed.map((c) => row(c.synopsis, c.summary, SUMMARY_COLUMN, Infinity)).join("\n")}

${PROGRAM.footer}
`;
}

const HELP: Record<string, string> = {
  "": programHelp(),
  ...Object.fromEntries(COMMANDS.map((c) => [c.name, commandHelp(c)])),
};
export = { HELP, commandHelp, programHelp, flagsIn };
