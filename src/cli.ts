/**
 * The `trellis` command: parse arguments, pick the terminal or JSON view, wire the use cases
 * together, and turn typed errors into one line and an exit code.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import path from "node:path";
import { RecipeError } from "./core/recipe/errors.js";
import { DataFileError } from "./adapters/data-files.js";
import { TRELLIS_VERSION } from "./adapters/package-files.js";
import { EnvironmentError, formatDoctor } from "./adapters/venv/index.js";
import { runDoctor, setupEnvironment } from "./app/env.js";
import { loadRecipe } from "./app/load-recipe.js";
import { renderToFolder } from "./app/render.js";
import { runRecipe } from "./app/run.js";
import { colorEnabled } from "./ui/format.js";
import { jsonLinesSink } from "./ui/json-lines.js";
import { progressLineSink, runSummary } from "./ui/progress-line.js";
import { HELP } from "./cli-help.js";

/** Exit code for a command line that cannot be understood. */
const USAGE_EXIT = 2;

const ENV_FLAGS = {
  python: { type: "string" },
  "reuse-torch": { type: "string" },
  wheelhouse: { type: "string" },
  venv: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

class UsageError extends Error {
  readonly exitCode = USAGE_EXIT;
}

function parse<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function envOptions(v: { python?: string | boolean; "reuse-torch"?: string | boolean; wheelhouse?: string | boolean; venv?: string | boolean }) {
  const str = (x: unknown) => (typeof x === "string" ? x : undefined);
  return { python: str(v.python), reuseTorchFrom: str(v["reuse-torch"]), wheelhouse: str(v.wheelhouse), venvDir: str(v.venv) };
}

function onlyPositional(positionals: string[], what: string, command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes one ${what} (see trellis ${command} --help)`);
  return positionals[0]!;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(HELP[rest[0] ?? ""] ?? HELP[""]!);
    return 0;
  }
  if (command === "--version" || command === "-V") {
    process.stdout.write(`${TRELLIS_VERSION}\n`);
    return 0;
  }
  const help = (name: string) => (process.stdout.write(HELP[name]!), 0);

  switch (command) {
    case "run": {
      const { values, positionals } = parse(rest, { json: { type: "boolean" }, "runs-dir": { type: "string" }, ...ENV_FLAGS });
      if (values.help) return help("run");
      const recipeFile = onlyPositional(positionals, "recipe file", "run");
      const json = values.json || !process.stderr.isTTY;
      const controller = new AbortController();
      let interrupts = 0;
      process.on("SIGINT", () => {
        if (++interrupts > 1) process.exit(130);
        process.stderr.write("\nstopping: the stage is asked to stop (Ctrl-C again to quit at once)\n");
        controller.abort();
      });
      const result = await runRecipe({
        recipeFile,
        runsDir: path.resolve(values["runs-dir"] ?? process.env.TRELLIS_RUNS_DIR ?? "runs"),
        environment: () => setupEnvironment({ ...envOptions(values), out: process.stderr, signal: controller.signal }),
        sinks: [json ? jsonLinesSink() : progressLineSink()],
        signal: controller.signal,
      });
      if (json) process.stderr.write(`${runSummary(result.state, colorEnabled(process.stderr))}\n`);
      return result.exitCode;
    }
    case "render": {
      const { values, positionals } = parse(rest, { out: { type: "string", short: "o" }, "trl-version": { type: "string" }, json: { type: "boolean" } });
      if (values.help) return help("render");
      const result = await renderToFolder({ recipeFile: onlyPositional(positionals, "recipe file", "render"), outDir: values.out, trlVersion: values["trl-version"] });
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ out: result.outDir, trl: result.trl, stages: result.stages.map((s) => ({ id: s.id, trainer: s.trainer, script: path.join(result.outDir, s.script.name), spec: path.join(result.outDir, s.spec.name) })) })}\n`);
      } else {
        process.stdout.write(`rendered for TRL ${result.trl} into ${result.outDir}\n`);
        for (const s of result.stages) process.stdout.write(`  ${s.script.name}  (${s.trainer}; values in ${s.spec.name})\n`);
        process.stdout.write(`run a stage by hand with the environment's python: $(trellis env doctor --json | jq -r .python.path) ${path.join(result.outDir, result.stages[0]!.script.name)}\n`);
      }
      return 0;
    }
    case "check": {
      const { values, positionals } = parse(rest, { "trl-version": { type: "string" }, json: { type: "boolean" } });
      if (values.help) return help("check");
      const loaded = await loadRecipe(onlyPositional(positionals, "recipe file", "check"), path.resolve("runs", "output"), values["trl-version"]);
      const stages = loaded.resolved.stages.map((s) => `${s.stage.id}:${s.stage.trainer}`).join(" -> ");
      process.stdout.write(values.json ? `${JSON.stringify({ ok: true, recipe: loaded.recipe })}\n` : `${loaded.file}: ok (${stages})\n`);
      return 0;
    }
    case "env": {
      const [sub, ...args] = rest;
      if (sub === "setup") {
        const { values } = parse(args, { ...ENV_FLAGS, force: { type: "boolean" } });
        if (values.help) return help("env setup");
        await setupEnvironment({ ...envOptions(values), force: values.force, out: process.stderr });
        return 0;
      }
      if (sub === "doctor") {
        const { values } = parse(args, { ...ENV_FLAGS, json: { type: "boolean" } });
        if (values.help) return help("env doctor");
        const report = await runDoctor(envOptions(values));
        process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatDoctor(report, { color: colorEnabled(process.stdout) })}\n`);
        return report.problems.length ? 1 : 0;
      }
      if (sub === undefined || sub === "--help" || sub === "-h") return help("env");
      throw new UsageError(`unknown env command '${sub}' (try: trellis env setup, trellis env doctor)`);
    }
    default:
      throw new UsageError(`unknown command '${command}' (see trellis --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const known = err instanceof RecipeError || err instanceof DataFileError || err instanceof EnvironmentError || err instanceof UsageError;
    const message = known ? (err as Error).message : (err as Error)?.stack ?? String(err);
    const prefix = err instanceof RecipeError || err instanceof DataFileError ? "" : "trellis: ";
    process.stderr.write(`${prefix}${message}\n`);
    process.exitCode = known ? (err as { exitCode: number }).exitCode : 1;
  },
);
