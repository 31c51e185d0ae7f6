/**
 * The command table (src/cli/commands/) is the one source of the CLI's flags: parseArgs, every
 * `--help` and docs/commands.md come from it. Here they are held to agree.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import table from "../../src/cli/commands/index.cjs";
import help from "../../src/cli/help.cjs";
import reference from "../../src/cli/reference.cjs";
import { ROOT } from "../helpers/cli.js";

const { COMMANDS } = table;
const { HELP } = help;
const CLI = path.join(ROOT, "src", "cli");

describe("the command table", () => {
  it("docs/commands.md is what `npm run docs` writes from it", () => {
    const written = readFileSync(path.join(ROOT, "docs", "commands.md"), "utf8");
    assert.ok(written === reference.commandsMarkdown(), "docs/commands.md is out of date: run `npm run docs`");
  });

  it("every command has its --help, and every --help a command", () => {
    assert.deepEqual(Object.keys(HELP).sort(), ["", ...COMMANDS.map((c) => c.name)].sort());
    for (const c of COMMANDS) assert.match(HELP[""]!, new RegExp(`^  ${c.name} `, "m"), `${c.name} in trellis --help`);
  });

  it("every flag in the table appears in its command's --help", () => {
    for (const c of COMMANDS) {
      for (const [name, flag] of Object.entries(c.flags)) {
        assert.match(HELP[c.name]!, new RegExp(`--${name}\\b`), `trellis ${c.name} --help lists --${name}`);
        if (flag.short) assert.ok(HELP[c.name]!.includes(`-${flag.short}, --${name}`), `-${flag.short} of ${c.name}`);
      }
    }
  });

  it("every handler exists, main dispatches to it, and it parses its flags from its entry", async () => {
    const main = readFileSync(path.join(CLI, "main.ts"), "utf8");
    for (const c of COMMANDS) {
      const { module, export: name } = c.handler;
      const loaded = (await import(path.join(ROOT, "dist", "src", "cli", module))) as Record<string, unknown>;
      assert.equal(typeof loaded[name], "function", `${module} exports ${name}`);
      const source = readFileSync(path.join(CLI, module.replace(/\.js$/, ".ts")), "utf8");
      const [top] = c.name.split(" ");
      assert.ok(main.includes(`case "${top}":`), `main.ts dispatches ${top}`);
      if (top === c.name) assert.ok(main.includes(`import("${module}")).${name}(`), `main.ts runs ${module} ${name}`);
      else assert.match(source, new RegExp(`return ${name}\\(`), `${top} dispatches ${c.name} to ${name}`);
      if (Object.keys(c.flags).length)
        assert.ok(new RegExp(`parse\\(\\w+, "${c.name}"\\)`).test(source), `${module} parses with its table entry`);
    }
  });

  it("no command builds parseArgs options of its own", () => {
    for (const file of readdirSync(CLI).filter((f) => f.endsWith(".ts") && f !== "args.ts")) {
      const source = readFileSync(path.join(CLI, file), "utf8");
      assert.doesNotMatch(source, /parseArgs|[^.]parse\(\w+, [^"]/, `${file} parses with the table (args.ts parse)`);
    }
  });
});
