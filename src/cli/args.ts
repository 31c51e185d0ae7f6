/**
 * Argument parsing shared by the commands: node's parseArgs over the flags of the command table
 * (commands/), with usage errors as exit code 2.
 */
import { parseArgs } from "node:util";
import { TrellisError } from "../core/errors.js";
import table from "./commands/index.cjs";
import type { CommandSpec } from "./commands/spec.cjs";

const USAGE_EXIT = 2;

export class UsageError extends TrellisError {
  override readonly exitCode = USAGE_EXIT;
}

/** parseArgs options from a command's flags in the table: type, short and multiple. */
type ParseOptions<F extends CommandSpec["flags"]> = {
  -readonly [K in keyof F]: {
    type: F[K]["type"];
    multiple: F[K] extends { multiple: true } ? true : false;
    short?: string;
  };
};

type Table = typeof table.BY_NAME;

/** A command's arguments, parsed with the flags its entry in the command table (commands/) declares. */
export function parse<N extends keyof Table>(args: string[], command: N) {
  const flags: CommandSpec["flags"] = table.BY_NAME[command].flags;
  const options = Object.fromEntries(
    Object.entries(flags).map(([name, f]) => [
      name,
      { type: f.type, multiple: f.multiple ?? false, ...(f.short ? { short: f.short } : {}) },
    ]),
  ) as ParseOptions<Table[N]["flags"]>;
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function onlyPositional(positionals: string[], what: string, command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes one ${what} (see trellis ${command} --help)`);
  return positionals[0]!;
}

export function envOptions(v: {
  python?: string | boolean;
  "reuse-torch"?: string | boolean;
  wheelhouse?: string | boolean;
  venv?: string | boolean;
  extra?: Array<string | boolean>;
  "torch-backend"?: string | boolean;
}) {
  const str = (x: unknown) => (typeof x === "string" ? x : undefined);
  const extras = (v.extra ?? []).filter((x): x is string => typeof x === "string");
  return {
    python: str(v.python),
    reuseTorchFrom: str(v["reuse-torch"]),
    wheelhouse: str(v.wheelhouse),
    venvDir: str(v.venv),
    extras,
    torchBackend: str(v["torch-backend"]),
  };
}

export const runsDirOf = (flag: string | undefined) => flag ?? process.env.TRELLIS_RUNS_DIR ?? "runs";
