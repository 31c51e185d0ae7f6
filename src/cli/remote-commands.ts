/**
 * `--on HOST`: the commands run against a server reached with the user's own ssh (docs/remote.md).
 * `run`, `resume` and `attach` watch the server's run here, through the ssh connection; `ls`,
 * `logs` and `stop` are the server's trellis answering; `pull` copies a run folder back; `hosts`
 * lists the servers used before. `_remote` is what the laptop asks of the server's trellis.
 */
import path from "node:path";
import { openTunnel } from "../adapters/ssh-tunnel.js";
import { readHosts } from "../adapters/remote-hosts.js";
import { warnOnStderr } from "../adapters/event-file.js";
import { attachLive, exitCodeOf } from "../app/attach.js";
import { readSupervisor } from "../app/prepared-run.js";
import { findRun } from "../app/list-runs.js";
import { loadRecipe } from "../app/load-recipe.js";
import { RemoteHost, type RemoteTarget } from "../app/remote/remote-host.js";
import { localDataFiles } from "../core/recipe/resolve.js";
import { sanitise } from "../core/text/sanitise.js";
import { chooseView } from "../ui/choose-view.js";
import { onlyPositional, parse, UsageError } from "./args.js";
import { interruptSignal } from "./interrupts.js";

/** How long a dropped link is retried before the view gives up (the run goes on regardless). */
const RECONNECT_ATTEMPTS = 300;

/** `rest` without `--on HOST` and the flags that only shape the local view. */
function serverArgs(rest: string[], drop: string[] = []): string[] {
  const out: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--on") i++;
    else if (a.startsWith("--on=") || a === "--json" || a === "--plain" || drop.includes(a)) continue;
    else out.push(a);
  }
  return out;
}

const say = (line: string) => void process.stderr.write(`${sanitise(line, { lines: true })}\n`);

function host(spec: string | undefined, o: { ownEnvironment?: boolean } = {}): RemoteHost {
  if (!spec) throw new UsageError("--on takes a host: an alias from ~/.ssh/config, user@host or host:port");
  return new RemoteHost(spec, { say, stderr: process.stderr, ownEnvironment: o.ownEnvironment ?? true });
}

export async function remoteCommand(command: string, rest: string[], help: () => number): Promise<number> {
  switch (command) {
    case "run":
      return remoteRun(rest, help);
    case "resume":
      return remoteResume(rest, help);
    case "attach":
      return remoteAttach(rest, help);
    case "ls":
    case "logs":
    case "stop":
      return remotePassThrough(command, rest, help);
    case "pull":
      return pullCommand(rest, help);
    case "check":
      return remoteCheck(rest, help);
    default:
      throw new UsageError(
        `trellis ${command} does not take --on (it works with: run, check, resume, attach, ls, logs, stop, pull)`,
      );
  }
}

async function remoteRun(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "run");
  if (values.help) return help();
  for (const flag of ["host", "port", "allow-origin", "foreground", "runs-dir"] as const)
    if (values[flag] !== undefined)
      throw new UsageError(
        `--${flag} does not go with --on: on the server the run listens on 127.0.0.1 only, is reached through ssh, and lives in ~/trellis/runs`,
      );
  const recipeFile = onlyPositional(positionals, "recipe file", "run");
  const server = host(values.on, { ownEnvironment: values.env !== undefined });
  const remoteRecipe = await sendRecipe(server, recipeFile);
  const passed = serverArgs(rest).filter((a) => a !== recipeFile);
  say(`starting the run on ${server.name} (the environment is set up there first if needed)`);
  const { stdout } = await server.trellis(["run", remoteRecipe, "--detach", ...passed]);
  const started = JSON.parse(stdout.trim().split("\n").pop()!) as { run: string };
  say(`run ${started.run} started on ${server.name}: it goes on if this terminal or the connection goes`);
  return watch(server, await server.target(started.run), values);
}

/** The recipe checked here first (a recipe error costs no connection), then trellis, it and its data sent. */
async function sendRecipe(server: RemoteHost, recipeFile: string, trl?: string): Promise<string> {
  const loaded = await loadRecipe(recipeFile, path.resolve("runs"), trl);
  const data = [...new Set(localDataFiles(loaded.resolved).map((f) => f.file))];
  await server.ensureTrellis();
  return server.sendRecipe(recipeFile, loaded.recipe.name, data);
}

/** `check --on HOST`: the recipe, its data as sent, the model, the disk and the packages, checked by the server's trellis. */
async function remoteCheck(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "check");
  if (values.help) return help();
  const recipeFile = onlyPositional(positionals, "recipe file", "check");
  const server = host(values.on);
  const remoteRecipe = await sendRecipe(server, recipeFile, values["trl-version"]);
  const passed = serverArgs(rest).filter((a) => a !== recipeFile);
  const { exitCode } = await server.trellis(["check", remoteRecipe, ...passed, ...(values.json ? ["--json"] : [])], {
    stdout: process.stdout,
    okCodes: [1, 2, 3],
  });
  return exitCode;
}

async function remoteResume(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "resume");
  if (values.help) return help();
  const server = host(values.on);
  const run = onlyPositional(positionals, "run id", "resume");
  const { stdout } = await server.trellis(["resume", run, "--detach", ...(values.force ? ["--force"] : [])]);
  const started = JSON.parse(stdout.trim().split("\n").pop()!) as { run: string };
  return watch(server, await server.target(started.run), { ...values, resuming: true });
}

async function remoteAttach(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "attach");
  if (values.help) return help();
  if (positionals.length > 1) throw new UsageError("attach takes at most one run id");
  const server = host(values.on);
  const target = await server.target(positionals[0]);
  if (target.live && !values.summary) return watch(server, target, values);
  // A finished run: its summary from the server (trellis pull brings the whole folder for review).
  const { exitCode } = await server.trellis(["attach", target.run, "--summary"], {
    stdout: process.stdout,
    okCodes: [1, 2, 3, 4, 5, 130],
  });
  if (!target.live) say(`(the whole run, for the dashboard's review: trellis pull ${target.run} --on ${server.name})`);
  return exitCode;
}

/**
 * The server's run, watched here: its websocket reached through ssh only (a local port whose every
 * connection is an `ssh -W` to the server's 127.0.0.1). A dropped link is said, retried with
 * backoff, and the replay from the last event seen fills the gap.
 */
async function watch(
  server: RemoteHost,
  target: RemoteTarget,
  flags: { json?: boolean; plain?: boolean; resuming?: boolean },
): Promise<number> {
  if (!target.live || !target.port || !target.token) {
    say(
      `run ${target.run} on ${server.name} is not running: trellis attach ${target.run} --on ${server.name} shows how it ended`,
    );
    return 1;
  }
  const tunnel = await openTunnel(server.ssh, target.port);
  try {
    const view = await chooseView(flags);
    const notice = (text: string) => (view.notice ?? warnOnStderr)(text);
    const result = await attachLive(
      {
        url: tunnel.url,
        token: target.token,
        link: {
          maxAttempts: RECONNECT_ATTEMPTS,
          dropped: (attempt) => {
            if (attempt === 0) notice(`lost the connection to ${server.name}: the run goes on there; reconnecting`);
            else if (attempt % 10 === 0) notice(`still reconnecting to ${server.name} (attempt ${attempt})`);
          },
          back: () => notice(`reconnected to ${server.name}: the events missed meanwhile follow`),
        },
      },
      view,
      interruptSignal(),
    );
    if (result.kind === "detached")
      say(
        `on ${server.name}:  trellis attach ${target.run} --on ${server.name}   trellis stop ${target.run} --on ${server.name}`,
      );
    if (result.kind === "ended")
      say(
        `the run folder stays on ${server.name}: trellis pull ${target.run} --on ${server.name} [--model] brings it here`,
      );
    if (result.kind === "lost")
      say(
        `lost contact with ${server.name}; the run goes on there. trellis attach ${target.run} --on ${server.name} when it answers again`,
      );
    return exitCodeOf(result);
  } finally {
    await tunnel.close();
  }
}

async function remotePassThrough(command: "ls" | "logs" | "stop", rest: string[], help: () => number): Promise<number> {
  const { values } =
    command === "ls" ? parse(rest, "ls") : command === "logs" ? parse(rest, "logs") : parse(rest, "stop");
  if (values.help) return help();
  const server = host(values.on);
  // Here --json is the server's answer (ls --json, logs --json), not a local view.
  const json = "json" in values && values.json === true;
  const args = [command, ...serverArgs(rest), ...(json ? ["--json"] : [])];
  const { exitCode } = await server.trellis(args, { stdout: process.stdout, okCodes: [1, 2, 3, 4, 5, 130] });
  return exitCode;
}

/** `trellis pull RUN --on HOST`: the run folder back, checkpoints left there; `--model` brings the model too. */
export async function pullCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "pull");
  if (values.help) return help();
  if (!values.on) throw new UsageError("pull takes --on HOST: the server the run is on");
  if (positionals.length > 1) throw new UsageError("pull takes at most one run id (default: the latest)");
  const server = host(values.on);
  const target = await server.target(positionals[0]);
  const into = path.resolve(values.to ?? path.join("runs", server.name.replace(/[^A-Za-z0-9._@-]/g, "_")));
  say(
    `pulling ${target.run} from ${server.name} into ${path.join(into, target.run)}${values.model ? " (with the model)" : " (without checkpoints or the model: --model brings the model)"}`,
  );
  await server.pull(target.run, into, { model: values.model ?? false });
  say(`pulled: ${path.join(into, target.run)}`);
  return 0;
}

/** `trellis hosts`: the servers used before, and what each has now (GPUs, free disk, runs). */
export async function hostsCommand(rest: string[], help: () => number): Promise<number> {
  const { values } = parse(rest, "hosts");
  if (values.help) return help();
  const known = readHosts();
  if (!known.length) {
    process.stdout.write("no servers used yet: trellis run recipe.yaml --on HOST adds one\n");
    return 0;
  }
  const rows = await Promise.all(
    known.map(async (h) => {
      const server = host(h.host);
      try {
        const { stdout } = await server.ssh.run(
          `cd; (nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || true) | sed 's/^/gpu=/'; df -Pk . | awk 'NR==2 {print "free=" $4}'; ls -1 trellis/runs 2>/dev/null | wc -l | sed 's/^/runs=/'`,
        );
        const gpus = stdout
          .split("\n")
          .filter((l) => l.startsWith("gpu="))
          .map((l) => l.slice(4).trim());
        const free = Number(/^free=(\d+)/m.exec(stdout)?.[1] ?? NaN) * 1024;
        const runs = Number(/^runs=\s*(\d+)/m.exec(stdout)?.[1] ?? 0);
        return { host: h.host, lastUsed: h.lastUsed, reachable: true, gpus, freeBytes: free, runs };
      } catch (err) {
        return { host: h.host, lastUsed: h.lastUsed, reachable: false, error: (err as Error).message.split("\n")[0] };
      }
    }),
  );
  if (values.json) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return 0;
  }
  for (const r of rows)
    process.stdout.write(
      `${sanitise(r.host)}  last used ${r.lastUsed.slice(0, 16).replace("T", " ")}  ${
        "gpus" in r && r.reachable
          ? `${r.gpus!.length ? r.gpus!.join("; ") : "no NVIDIA GPU"}  ${(r.freeBytes! / 1e9).toFixed(1)} GB free  ${r.runs} run${r.runs === 1 ? "" : "s"}`
          : `unreachable: ${sanitise(r.error ?? "")}`
      }\n`,
    );
  return 0;
}

/** What the laptop asks of the server's trellis: `_remote target [RUN]` (one JSON line, read over ssh). */
export function serverCommand(rest: string[]): number {
  const [what, run] = rest;
  if (what !== "target") throw new UsageError(`_remote: unknown request '${what}'`);
  const dir = findRun(path.resolve("runs"), run);
  const live = readSupervisor(dir);
  const port = live ? Number(new URL(live.url).port) : undefined;
  process.stdout.write(
    `${JSON.stringify({ run: path.basename(dir), dir, live: Boolean(live), ...(live ? { port, token: live.token } : {}) })}\n`,
  );
  return 0;
}
