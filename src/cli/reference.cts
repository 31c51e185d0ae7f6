/**
 * docs/commands.md, the command reference, from the command table (commands/): written by
 * `npm run docs` (scripts/docs.mjs); test/tooling/command-table.test.ts checks it is up to date.
 */
import table = require("./commands/index.cjs");
import type { CommandSpec, FlagSpec } from "./commands/spec.cjs";

const { COMMANDS, PROGRAM } = table;

/** Help text is wrapped for a terminal; a Markdown paragraph is one line. Indented lines are an example. */
function paragraphs(text: string): string {
  const blocks: string[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split("\n");
    if (lines.every((l) => l.startsWith("  "))) blocks.push(["```", ...lines.map((l) => l.slice(2)), "```"].join("\n"));
    else blocks.push(prose(lines.map((l) => l.trim()).join(" ")));
  }
  return blocks.join("\n\n");
}

/** Outside code spans, `<id>` would be read as an HTML tag and `|` would end a table cell. */
const prose = (text: string) =>
  text
    .split("`")
    .map((part, i) => (i % 2 ? part : part.replace(/</g, "&lt;")))
    .join("`");
const cell = (text: string) => prose(text).replace(/\|/g, "\\|");
const anchor = (name: string) => name.replace(/\s+/g, "-");

function flagRow(name: string, flag: FlagSpec): string {
  const typed = `${flag.short ? `\`-${flag.short}\`, ` : ""}\`--${name}${flag.value ? ` ${flag.value}` : ""}\``;
  return `| ${cell(typed)} | ${cell(flag.help)}${flag.multiple && !flag.help.includes("repeatable") ? " (repeatable)" : ""} | ${flag.default === undefined ? "" : cell(flag.default)} |`;
}

function commandSection(spec: CommandSpec): string {
  const out = [
    `## trellis ${spec.name}`,
    "",
    prose(spec.summary),
    "",
    "```",
    ...spec.usage.map((u) => `trellis ${u}`),
    "```",
  ];
  out.push("", paragraphs(spec.description));
  if (spec.args.length) {
    out.push("", "| argument | |", "| --- | --- |");
    for (const a of spec.args)
      out.push(`| ${cell(`\`${a.optional ? `[${a.name}]` : `<${a.name}>`}\``)} | ${cell(a.help)} |`);
  }
  const flags = Object.entries(spec.flags);
  if (flags.length) {
    out.push("", "| flag | what it does | default |", "| --- | --- | --- |");
    for (const [name, flag] of flags) out.push(flagRow(name, flag));
  }
  if (spec.notes) out.push("", paragraphs(spec.notes));
  return out.join("\n");
}

function commandsMarkdown(): string {
  const index = COMMANDS.map((c) => `| [\`${c.name}\`](#trellis-${anchor(c.name)}) | ${cell(c.summary)} |`);
  return `<!-- Generated from src/cli/commands/ by \`npm run docs\`: edit the command table, not this file. -->
# Commands

Every command answers \`--help\` (\`-h\`) with what this page says of it: both come from the
command table in \`src/cli/commands/\` (one file per command; the shape is \`spec.cts\`).

${paragraphs(PROGRAM.footer)}

| command | |
| --- | --- |
${index.join("\n")}

${COMMANDS.map(commandSection).join("\n\n")}
`;
}

export = { commandsMarkdown };
