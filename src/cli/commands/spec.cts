/**
 * The shape of one command in trellis's command table (src/cli/commands/, one file per command,
 * listed in index.cts). From these objects come node's parseArgs options (args.ts `parse`), every
 * `--help` text (help.cts) and docs/commands.md (reference.cts, written by `npm run docs`);
 * test/tooling/command-table.test.ts checks that they agree. CommonJS, so that bin/trellis.js
 * answers `trellis --help` without starting Node's ESM loader.
 *
 * To add a flag: add it to the command's `flags` (type, help, and value/default where they
 * apply), read it in the handler from `parse(args, SPEC).values`, and run `npm run docs`.
 * To add a command: a new file here shaped like the others, its line in index.cts, its handler
 * (src/cli/<name>-command.ts) and its case in main.ts.
 */

/** One flag: what parseArgs needs (type, short, multiple) and what a reader needs (value, default, help). */
export interface FlagSpec {
  readonly type: "string" | "boolean";
  /** A one-letter alias: `-o`. */
  readonly short?: string;
  /** Repeatable: the values come as a list. */
  readonly multiple?: boolean;
  /** The value's placeholder in help (DIR, N, HOST:PORT); string flags only. */
  readonly value?: string;
  /**
   * What holds when the flag is left out, as the reader is told it. Not handed to parseArgs: the
   * handler applies it (often from an environment variable).
   */
  readonly default?: string;
  /** One sentence or two; help and the docs wrap it. */
  readonly help: string;
  /** The section of the help it is listed in (a key of the command's `sections`); else Options. */
  readonly section?: string;
}

/** A group of flags in the help: a titled list, or one line (`brief`) naming them all. */
export interface SectionSpec {
  readonly title: string;
  /** Shown as one line after the flags' names, instead of one line a flag. */
  readonly brief?: string;
}

/** A positional argument. */
interface ArgSpec {
  readonly name: string;
  readonly optional?: boolean;
  readonly help: string;
}

export interface CommandSpec {
  /** As typed after `trellis`: "run", "env setup". */
  readonly name: string;
  /** The command and its arguments, as `trellis --help` lists it: "run <recipe.yaml>". */
  readonly synopsis: string;
  /** One line in `trellis --help`. */
  readonly summary: string;
  /** The lines after "Usage: trellis ". */
  readonly usage: readonly string[];
  readonly args: readonly ArgSpec[];
  /** Paragraphs, wrapped as they are to be shown; lines indented by two spaces are an example. */
  readonly description: string;
  readonly flags: { readonly [flag: string]: FlagSpec };
  readonly sections?: { readonly [key: string]: SectionSpec };
  /** Text after the flags (exit codes, where output goes). */
  readonly notes?: string;
  /** The module under src/cli that runs it, and the function it exports. */
  readonly handler: { readonly module: string; readonly export: string };
}
