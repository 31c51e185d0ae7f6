/** `trellis run`: validate, render and run a recipe's stages, under a supervisor. */
import path from "node:path";
import { fileLogger } from "../adapters/logger.js";
import { attachLive, exitCodeOf } from "../app/attach.js";
import { setupEnvironment } from "../app/env.js";
import { extraLocks } from "../app/extras.js";
import { inspectUserEnvironment } from "../adapters/venv/user-env.js";
import { formatVersion } from "../core/trl/version.js";
import { hostWarning, prepareRun } from "../app/prepare-run.js";
import { startDetached } from "../app/start-detached.js";
import { startSupervisor } from "../app/supervisor.js";
import prestart from "../adapters/python-prestart.cjs";
import { chooseView } from "../ui/choose-view.js";
import { launchFlags, slurmOptions } from "./launch-flags.js";
import { envOptions, onlyPositional, parse, runsDirOf, UsageError } from "./args.js";
import { interruptSignal } from "./interrupts.js";
import { printDetached } from "./print-detached.js";

export async function runCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "run");
  if (values.help) return help();
  const own = await ownEnvironment(values);
  const recipeFile = onlyPositional(positionals, "recipe file", "run");
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number (got '${values.port}')`);
  const host = values.host ?? "127.0.0.1";
  const warning = hostWarning(host);
  if (warning) process.stderr.write(`${warning}\n`);

  const prepared = await prepareRun({
    recipeFile,
    runsDir: path.resolve(runsDirOf(values["runs-dir"])),
    environment: own
      ? own.environment
      : (extras) => setupEnvironment({ ...envOptions(values), extras, out: process.stderr }),
    extras: envOptions(values).extras,
    ...(own ? { trlVersion: own.trl } : {}),
    host,
    port,
    allowOrigins: values["allow-origin"] ?? [],
    launchFlags: launchFlags(values),
    slurm: slurmOptions(values),
  });
  const interrupt = interruptSignal();
  if (values.foreground) {
    // The next run of this recipe may start its Python before it has rendered (bin/trellis.js).
    if (!prepared.distributed && !prepared.slurm && prepared.stages[0])
      prestart.rememberPrestart(
        prepared.recipeFile,
        prepared.python,
        path.join(prepared.runDir, "scripts", prepared.stages[0].script),
      );
    // The stage starts first; the view (the dashboard's modules) loads while Python imports.
    const supervisor = await startSupervisor(prepared, fileLogger(path.join(prepared.runDir, "trellis.log")));
    const view = await chooseView(values);
    await prepared.manifestWritten;
    process.on("SIGTERM", () => supervisor.command("stop"));
    const result = await attachLive({ url: supervisor.url, token: supervisor.token }, view, interrupt);
    await supervisor.done;
    return exitCodeOf(result);
  }
  const target = await startDetached(prepared);
  if (values.detach) return printDetached(prepared, target);
  const view = await chooseView(values);
  await prepared.manifestWritten;
  return exitCodeOf(await attachLive(target, view, interrupt));
}

/**
 * `--env PATH` (or TRELLIS_ENV): the user's own environment, as it is. Its TRL is read first (the
 * stages are rendered for it); the recipe's extras are then checked for, never installed.
 */
async function ownEnvironment(values: {
  env?: string;
  python?: string;
  "reuse-torch"?: string;
  wheelhouse?: string;
  venv?: string;
  "torch-backend"?: string;
}) {
  const given = values.env ?? (process.env.TRELLIS_ENV || undefined);
  if (given === undefined) return undefined;
  const managedOnly = (["python", "reuse-torch", "wheelhouse", "venv", "torch-backend"] as const).filter(
    (f) => values[f] !== undefined,
  );
  if (managedOnly.length)
    throw new UsageError(
      `--env runs in an existing environment as it is; ${managedOnly.map((f) => `--${f}`).join(", ")} only shape the managed one: leave ${managedOnly.length > 1 ? "them" : "it"} out`,
    );
  const found = await inspectUserEnvironment(given);
  process.stderr.write(
    `using the environment ${found.dir} as it is (trl ${found.packages.trl}, transformers ${found.packages.transformers}, torch ${found.packages.torch})\n`,
  );
  return {
    trl: formatVersion(found.trl),
    environment: async (extras: string[]) => {
      if (extras.length)
        await inspectUserEnvironment(
          given,
          extraLocks(extras).flatMap((e) => e.requires),
        );
      return { python: found.python, dir: found.dir, installed: false };
    },
  };
}
