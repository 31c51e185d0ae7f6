/**
 * The `trellis` command: dispatch to the commands in cli/, and turn typed errors into one line
 * and an exit code.
 */
import path from "node:path";
import { RecipeError } from "./core/recipe/errors.js";
import { DataFileError } from "./adapters/data-files.js";
import { TRELLIS_VERSION } from "./adapters/package-files.js";
import { EnvironmentError, formatDoctor } from "./adapters/venv/index.js";
import { runDoctor, setupEnvironment } from "./app/env.js";
import { renderToFolder } from "./app/render.js";
import { RunNotFoundError } from "./app/runs.js";
import { colorEnabled } from "./ui/format.js";
import { HELP } from "./cli-help.js";
import { envOptions, ENV_FLAGS, onlyPositional, parse, UsageError } from "./cli/args.js";
import { attachCommand, logsCommand, lsCommand, reproduceCommand, resumeCommand, runCommand } from "./cli/run-commands.js";
import { ResumeError } from "./app/resume.js";
import { LogFilterError } from "./core/run/log-filter.js";
import { exportCommand, importCommand } from "./cli/import-export.js";
import { checkCommand } from "./cli/check-command.js";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(HELP[rest.join(" ")] ?? HELP[""]!);
    return 0;
  }
  if (command === "--version" || command === "-V") {
    process.stdout.write(`${TRELLIS_VERSION}\n`);
    return 0;
  }
  const help = (name: string) => () => (process.stdout.write(HELP[name]!), 0);

  switch (command) {
    case "run":
      return runCommand(rest, help("run"));
    case "import":
      return importCommand(rest);
    case "export":
      return exportCommand(rest);
    case "reproduce":
      return reproduceCommand(rest, help("reproduce"));
    case "resume":
      return resumeCommand(rest, help("resume"));
    case "attach":
      return attachCommand(rest, help("attach"));
    case "ls":
      return lsCommand(rest, help("ls"));
    case "logs":
      return logsCommand(rest, help("logs"));
    case "render": {
      const { values, positionals } = parse(rest, { out: { type: "string", short: "o" }, "trl-version": { type: "string" }, json: { type: "boolean" } });
      if (values.help) return help("render")();
      const result = await renderToFolder({ recipeFile: onlyPositional(positionals, "recipe file", "render"), outDir: values.out, trlVersion: values["trl-version"] });
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ out: result.outDir, trl: result.trl, stages: result.stages.map((s) => ({ id: s.id, trainer: s.trainer, script: path.join(result.outDir, s.script.name), spec: path.join(result.outDir, s.spec.name) })) })}\n`);
      } else {
        process.stdout.write(`rendered for TRL ${result.trl} into ${result.outDir}\n`);
        for (const s of result.stages) process.stdout.write(`  ${s.script.name}  (${s.trainer}; values in ${s.spec.name})\n`);
        process.stdout.write(`run a stage with the managed environment's python (trellis env doctor shows it): python ${path.join(result.outDir, result.stages[0]!.script.name)}\n`);
      }
      return 0;
    }
    case "check":
      return checkCommand(rest, help("check"));
    case "env": {
      const [sub, ...args] = rest;
      if (sub === "setup") {
        const { values } = parse(args, { ...ENV_FLAGS, force: { type: "boolean" } });
        if (values.help) return help("env setup")();
        await setupEnvironment({ ...envOptions(values), force: values.force, out: process.stderr });
        return 0;
      }
      if (sub === "doctor") {
        const { values } = parse(args, { ...ENV_FLAGS, json: { type: "boolean" } });
        if (values.help) return help("env doctor")();
        const report = await runDoctor(envOptions(values));
        process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatDoctor(report, { color: colorEnabled(process.stdout) })}\n`);
        return report.problems.length ? 1 : 0;
      }
      if (sub === undefined || sub === "--help" || sub === "-h") return help("env")();
      throw new UsageError(`unknown env command '${sub}' (try: trellis env setup, trellis env doctor)`);
    }
    default:
      throw new UsageError(`unknown command '${command}' (see trellis --help)`);
  }
}

const KNOWN_ERRORS = [RecipeError, DataFileError, EnvironmentError, UsageError, RunNotFoundError, ResumeError, LogFilterError];

// A reader that stops early (`trellis logs | head`) closes the pipe: that is the reader's choice,
// not an error worth a stack trace. Exit quietly with success, as `cat` does under SIGPIPE.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const known = KNOWN_ERRORS.some((cls) => err instanceof cls);
    const message = known ? (err as Error).message : ((err as Error)?.stack ?? String(err));
    const prefix = err instanceof RecipeError || err instanceof DataFileError ? "" : "trellis: ";
    process.stderr.write(`${prefix}${message}\n`);
    process.exitCode = known ? (err as { exitCode: number }).exitCode : 1;
  },
);
