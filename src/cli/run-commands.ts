/** `trellis run`, `attach`, `ls` and `logs`. */
import path from "node:path";
import { fileLogger } from "../adapters/logger.js";
import { readAllEvents, warnOnStderr } from "../adapters/event-file.js";
import { followRun } from "../adapters/ws-client.js";
import { attachLive, CTRL_C_SAYS, exitCodeOf, replayFinished, type Interrupts, type RunView } from "../app/attach.js";
import { setupEnvironment } from "../app/env.js";
import { extraLocks } from "../app/extras.js";
import { inspectUserEnvironment } from "../adapters/venv/user-env.js";
import { formatVersion } from "../core/trl/version.js";
import { files, readSupervisor } from "../app/launch.js";
import { hostWarning, prepareRun } from "../app/prepare-run.js";
import { startDetached } from "../app/start-detached.js";
import { planResume } from "../app/resume.js";
import { compareMetrics, readManifest, recordedEvents, recordedRecipe, whatChanged } from "../app/reproduce.js";
import { quietView, summaryView } from "../ui/plain-views.js";
import { findRun, listRunIds, summarizeRun } from "../app/list-runs.js";
import { startSupervisor } from "../app/supervisor.js";
import prestart from "../adapters/python-prestart.cjs";
import { chooseView } from "../ui/choose-view.js";
import type { RunEvent } from "../core/events/protocol.js";
import { logFilter } from "../core/run/log-filter.js";
import { sanitise, sanitiseDeep } from "../core/text/sanitise.js";
import { eventLine, jsonLine, shownEvent } from "../ui/shown-event.js";
import { clock as duration } from "../core/clock.js";
import { launchFlags, LAUNCH_FLAGS, SLURM_FLAGS, slurmOptions } from "./launch-flags.js";
import { envOptions, ENV_FLAGS, onlyPositional, parse, runsDirOf, UsageError } from "./args.js";

const VIEW_FLAGS = { json: { type: "boolean" }, plain: { type: "boolean" } } as const;

/**
 * Ctrl-C as SIGINT (the plain views; the dashboard reads it as a key): each press goes to the
 * attached view, which applies the one rule (app/attach.ts ctrlC). Presses before it attaches wait.
 */
function interruptSignal(): Interrupts {
  let pending = 0;
  let listener: (() => void) | undefined;
  process.on("SIGINT", () => (listener ? listener() : pending++));
  return (l) => {
    listener = l;
    for (; pending > 0; pending--) l();
  };
}

export async function runCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, {
    ...VIEW_FLAGS,
    "runs-dir": { type: "string" },
    foreground: { type: "boolean" },
    host: { type: "string" },
    port: { type: "string" },
    "allow-origin": { type: "string", multiple: true },
    ...LAUNCH_FLAGS,
    ...SLURM_FLAGS,
    ...ENV_FLAGS,
    env: { type: "string" },
  });
  if (values.help) return help();
  const own = await ownEnvironment(values);
  const recipeFile = onlyPositional(positionals, "recipe file", "run");
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number (got '${values.port}')`);
  const host = values.host ?? "127.0.0.1";
  const warning = hostWarning(host);
  if (warning) process.stderr.write(`${warning}\n`);

  const launch = await prepareRun({
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
    if (!launch.distributed && !launch.slurm && launch.stages[0])
      prestart.rememberPrestart(
        launch.recipeFile,
        launch.python,
        path.join(launch.runDir, "scripts", launch.stages[0].script),
      );
    // The stage starts first; the view (the dashboard's modules) loads while Python imports.
    const supervisor = await startSupervisor(launch, fileLogger(path.join(launch.runDir, "trellis.log")));
    const view = await chooseView(values);
    await launch.manifestWritten;
    process.on("SIGTERM", () => supervisor.command("stop"));
    const result = await attachLive({ url: supervisor.url, token: supervisor.token }, view, interrupt);
    await supervisor.done;
    return exitCodeOf(result);
  }
  const target = await startDetached(launch);
  const view = await chooseView(values);
  await launch.manifestWritten;
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

export async function resumeCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, {
    ...VIEW_FLAGS,
    "runs-dir": { type: "string" },
    force: { type: "boolean" },
  });
  if (values.help) return help();
  const dir = findRun(path.resolve(runsDirOf(values["runs-dir"])), onlyPositional(positionals, "run id", "resume"));
  const launch = await planResume(dir, { force: values.force });
  const view = await chooseView({ ...values, resuming: true });
  const interrupt = interruptSignal();
  const target = await startDetached(launch);
  return exitCodeOf(await attachLive(target, view, interrupt));
}

export async function reproduceCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, { ...VIEW_FLAGS, "runs-dir": { type: "string" }, ...ENV_FLAGS });
  if (values.help) return help();
  const runsDir = path.resolve(runsDirOf(values["runs-dir"]));
  const original = findRun(runsDir, onlyPositional(positionals, "run id", "reproduce"));
  const manifest = readManifest(original);
  // The extras the original ran with (its recipe's and its --extra flags), plus any given now.
  const extras = [...(manifest.environment.extras ?? []).map((e) => e.name), ...envOptions(values).extras];
  const env = await setupEnvironment({ ...envOptions(values), extras, out: process.stderr });
  const changes = await whatChanged(manifest, env.python);
  const say = (line: string) => process.stderr.write(`${sanitise(line, { lines: true })}\n`);
  say(
    changes.length
      ? `reproducing ${path.basename(original)}; differences from the original:\n${changes.map((c) => `  - ${c}`).join("\n")}`
      : `reproducing ${path.basename(original)}: same data, packages and GPUs as recorded`,
  );
  const recipe = recordedRecipe(original);
  if (recipe.outputDirDropped)
    say(`its models go under the reproduction's own run folder, not ${recipe.outputDirDropped} (the original's)`);
  const launch = await prepareRun({
    recipeFile: manifest.recipe.file,
    recipeText: recipe.text,
    runsDir,
    extras,
    environment: async () => env,
  });
  await launch.manifestWritten;
  // --json prints the comparison, not the event stream.
  const view = values.json ? quietView() : await chooseView(values);
  const result = await attachLive(await startDetached(launch), view, interruptSignal());
  const comparison = compareMetrics(await recordedEvents(original), await recordedEvents(launch.runDir));
  const report = { original: path.basename(original), reproduction: launch.runId, changes, ...comparison };
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  const d = comparison.first;
  say(
    comparison.identical
      ? `identical: ${comparison.values} metric values over ${comparison.steps} logged steps match ${report.original}`
      : `different: first at stage '${d!.stage}' step ${d!.step}: ${d!.metric} was ${String(d!.original)}, now ${String(d!.reproduced)}`,
  );
  return exitCodeOf(result) || (comparison.identical ? 0 : 1);
}

export async function attachCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, {
    ...VIEW_FLAGS,
    summary: { type: "boolean" },
    "runs-dir": { type: "string" },
    token: { type: "string" },
  });
  if (values.help) return help();
  if (positionals.length > 1) throw new UsageError("attach takes at most one run id or ws:// address");
  const what = positionals[0];
  if (what?.startsWith("ws://") || what?.startsWith("wss://")) {
    const token = values.token ?? process.env.TRELLIS_TOKEN;
    if (!token)
      throw new UsageError(
        "attaching by address needs the run's token: --token or TRELLIS_TOKEN (it is in runs/<id>/token)",
      );
    return exitCodeOf(await attachLive({ url: what, token }, await chooseView(values), interruptSignal()));
  }
  const dir = findRun(path.resolve(runsDirOf(values["runs-dir"])), what);
  const live = readSupervisor(dir);
  if (live) return exitCodeOf(await attachLive({ ...live, runDir: dir }, await chooseView(values), interruptSignal()));
  // A finished run: its whole history in the dashboard (review), or only the summary text.
  const view = values.summary ? summaryView() : await chooseView({ ...values, review: true });
  return exitCodeOf(await replayFinished(dir, view));
}

/** `trellis stop`: the graceful stop of a run from any terminal (Ctrl-C while it waits: kill). */
export async function stopCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, { "runs-dir": { type: "string" } });
  if (values.help) return help();
  const dir = findRun(path.resolve(runsDirOf(values["runs-dir"])), onlyPositional(positionals, "run id", "stop"));
  const live = readSupervisor(dir);
  if (!live) {
    process.stderr.write(`run ${path.basename(dir)} is not running (${summarizeRun(dir).status}): nothing to stop\n`);
    return 0;
  }
  const interrupt = interruptSignal();
  const result = await attachLive(live, stopView(path.basename(dir)), (press) => {
    press(); // the stop this command is for
    interrupt(press);
  });
  return result.kind === "ended" ? 0 : 1;
}

/** What `trellis stop` shows: what it asked, then how the run ended (not its whole history). */
function stopView(runId: string): RunView {
  const summary = summaryView(process.stderr);
  const say = (line: string) => void process.stderr.write(`${line}\n`);
  return {
    write: (e) => summary.write(e),
    interrupted: (what) => say(`${runId}: ${CTRL_C_SAYS[what]}`),
    close: (result) =>
      result.kind === "ended"
        ? summary.close(result)
        : say(
            result.kind === "detached"
              ? `left: run ${runId} may still be stopping; trellis attach ${runId} shows how it ends`
              : `lost contact with the run's supervisor; see its supervisor.log`,
          ),
  };
}

export async function lsCommand(rest: string[], help: () => number): Promise<number> {
  const { values } = parse(rest, { json: { type: "boolean" }, "runs-dir": { type: "string" } });
  if (values.help) return help();
  const runsDir = path.resolve(runsDirOf(values["runs-dir"]));
  const runs = listRunIds(runsDir).map((id) => summarizeRun(path.join(runsDir, id)));
  if (values.json) {
    process.stdout.write(`${jsonLine(runs)}\n`);
    return 0;
  }
  if (!runs.length) {
    process.stdout.write(`no runs in ${runsDir}\n`);
    return 0;
  }
  // What the recipe and its events wrote goes through the one terminal sanitiser.
  const shown = runs.map(sanitiseDeep);
  const rows = shown.map((r) => [
    r.id,
    r.failedStage && r.status !== "finished" ? `${r.status} in ${r.failedStage}` : r.status,
    r.trainers || "-",
    r.step !== null ? `${r.stage && r.trainers.includes("+") ? `${r.stage} ` : ""}${r.step}/${r.maxSteps ?? "?"}` : "-",
    r.duration !== null ? duration(r.duration) : "-",
    r.preference !== null ? r.preference.toFixed(2) : "-",
    r.startedAt ? new Date(r.startedAt * 1000).toISOString().replace("T", " ").slice(0, 19) : "-",
    r.status === "finished" || !r.reason ? "" : cut(sanitise(r.reason), REASON_CHARS),
  ]);
  const head = ["RUN", "STATUS", "TRAINER", "STEPS", "TIME", "PREF", "STARTED", "REASON"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [head, ...rows])
    process.stdout.write(
      `${row
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd()}\n`,
    );
  return 0;
}

/** `ls` keeps one line a run: a longer reason is in `trellis logs` and the summary. */
const REASON_CHARS = 80;

function cut(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}

export async function logsCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, {
    follow: { type: "boolean", short: "f" },
    json: { type: "boolean" },
    type: { type: "string", multiple: true },
    stage: { type: "string", multiple: true },
    since: { type: "string" },
    "runs-dir": { type: "string" },
  });
  if (values.help) return help();
  const dir = findRun(path.resolve(runsDirOf(values["runs-dir"])), positionals[0]);
  const keep = logFilter({ types: values.type, stages: values.stage, since: values.since }, Date.now() / 1000);
  const print = (e: RunEvent) => {
    if (!keep(e)) return;
    process.stdout.write(
      values.json ? `${eventLine(e)}\n` : `${sanitise(formatLogLine(shownEvent(e)), { lines: true })}\n`,
    );
  };
  const live = values.follow ? readSupervisor(dir) : undefined;
  if (!live) {
    for (const e of await readAllEvents(files(dir).events)) print(e);
    return 0;
  }
  const follower = followRun({ url: live.url, token: live.token, onEvent: print, onSkipped: warnOnStderr });
  await follower.done;
  return 0;
}

function formatLogLine(e: Record<string, unknown> & { type: string; seq: number; time: number }): string {
  const { type, seq, time, stage, ...rest } = e;
  const when = new Date(time * 1000).toISOString().slice(11, 19);
  const fields =
    type === "output"
      ? String(rest.line)
      : Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join(" ");
  return `${when} #${seq} ${typeof stage === "string" ? `[${stage}] ` : ""}${type} ${fields}`.trimEnd();
}
