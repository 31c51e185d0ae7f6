/**
 * The `trellis` command: dispatch to the commands in this folder, and turn typed errors into one line
 * and an exit code. Each command's modules load only when it runs: `trellis --help` and
 * `--version` load nothing but this file, the help text and package.json.
 */
import { readFileSync } from "node:fs";
import help from "./help.cjs";

const { HELP } = help;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(HELP[rest.join(" ")] ?? HELP[""]!);
    return 0;
  }
  if (command === "--version" || command === "-V") {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const help = (name: string) => () => (process.stdout.write(HELP[name]!), 0);
  // `--on HOST`: the same command against a server, through the user's ssh (docs/remote.md).
  if (command !== "_remote" && rest.some((a) => a === "--on" || a.startsWith("--on=")))
    return (await import("./remote-commands.js")).remoteCommand(command, rest, help(command));
  // One line a command of the table (commands/index.cts), each importing its handler's module
  // by name, so that the bundle keeps every command a chunk of its own.
  switch (command) {
    case "run":
      return (await import("./run-command.js")).runCommand(rest, help("run"));
    case "reproduce":
      return (await import("./reproduce-command.js")).reproduceCommand(rest, help("reproduce"));
    case "resume":
      return (await import("./resume-command.js")).resumeCommand(rest, help("resume"));
    case "attach":
      return (await import("./attach-command.js")).attachCommand(rest, help("attach"));
    case "stop":
      return (await import("./stop-command.js")).stopCommand(rest, help("stop"));
    case "ls":
      return (await import("./ls-command.js")).lsCommand(rest, help("ls"));
    case "logs":
      return (await import("./logs-command.js")).logsCommand(rest, help("logs"));
    case "compare":
      return (await import("./compare-command.js")).compareCommand(rest, help("compare"));
    case "import":
      return (await import("./import-command.js")).importCommand(rest, help("import"));
    case "export":
      return (await import("./export-command.js")).exportCommand(rest, help("export"));
    case "eval":
      return (await import("./eval-command.js")).evalCommand(rest, help("eval"));
    case "merge":
      return (await import("./merge-command.js")).mergeCommand(rest, help("merge"));
    case "render":
      return (await import("./render-command.js")).renderCommand(rest, help("render"));
    case "check":
      return (await import("./check-command.js")).checkCommand(rest, help("check"));
    case "plan":
      return (await import("./plan-command.js")).planCommand(rest, help("plan"));
    case "env":
      return (await import("./env-commands.js")).envCommand(rest, help);
    case "pull":
      return (await import("./remote-commands.js")).pullCommand(rest, help("pull"));
    case "hosts":
      return (await import("./remote-commands.js")).hostsCommand(rest, help("hosts"));
    case "_remote": // what a laptop's trellis asks of this one over ssh (not in the table: not for people)
      return (await import("./remote-commands.js")).serverCommand(rest);
    default: {
      const { UsageError } = await import("./args.js");
      throw new UsageError(`unknown command '${command}' (see trellis --help)`);
    }
  }
}

/** Errors that are the user's to fix carry an exit code; recipe and data errors print bare. */
async function report(err: unknown): Promise<void> {
  const { TrellisError } = await import("../core/errors.js");
  const { sanitise } = await import("../core/text/sanitise.js");
  // An error trellis expects is told in its message alone; anything else is a bug: its stack.
  const known = err instanceof TrellisError;
  const message = known ? err.message : ((err as Error)?.stack ?? String(err));
  // A message may quote the recipe or its data (a model name, a value): no escape sequence of theirs reaches the terminal.
  process.stderr.write(`${known && err.located ? "" : "trellis: "}${sanitise(message, { lines: true })}\n`);
  process.exitCode = known ? err.exitCode : 1;
}

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
  (err: unknown) => report(err),
);
