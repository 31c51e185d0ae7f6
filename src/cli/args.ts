/** Argument parsing shared by the commands: node's parseArgs, with usage errors as exit code 2. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { TrellisError } from "../core/errors.js";

export const USAGE_EXIT = 2;

export class UsageError extends TrellisError {
  override readonly exitCode = USAGE_EXIT;
}

export function parse<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O) {
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

export const ENV_FLAGS = {
  python: { type: "string" },
  "reuse-torch": { type: "string" },
  wheelhouse: { type: "string" },
  venv: { type: "string" },
  extra: { type: "string", multiple: true },
  "torch-backend": { type: "string" },
} as const satisfies ParseArgsConfig["options"];

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
