/**
 * The first stage's Python, started before trellis needs it: `trellis run --foreground` spends
 * about a second and a half loading its modules, validating and rendering before it spawns the
 * stage, and the stage then spends most of its start importing torch and TRL. bin/trellis.js
 * starts python/trellis_runtime/prestart.py at once (the Python the last run of the same recipe
 * used, from a hint file in the cache), so those imports overlap Node's work; the stage adopts
 * that process if it matches (same Python, same import-time environment) and hands it the
 * script, and otherwise ends it and spawns the stage as before.
 *
 * CommonJS, so bin/trellis.js can start it before Node's ESM loader and the CLI's modules load.
 */
import childProcess = require("node:child_process");
import fs = require("node:fs");
import os = require("node:os");
import path = require("node:path");

/** Recipes remembered in the hint file; the oldest are dropped. */
const HINTS_KEPT = 50;
const SCRIPT = path.join(__dirname, "..", "..", "..", "python", "trellis_runtime", "prestart.py");
const SLOT = Symbol.for("trellis.prestart");
/** Flags that change the Python or the launch: the pre-start would not be adopted. */
const UNSUITED = ["--help", "-h", "--env", "--python", "--venv", "--reuse-torch", "--slurm", "--nodes"];
const PROCESSES_FLAG = "--processes-per-node";

interface Hint {
  python: string;
  /** A tiny model sets OMP_NUM_THREADS=1 before torch loads (trellis_runtime.environment). */
  tiny: boolean;
}
interface Prestarted {
  child: childProcess.ChildProcess;
  python: string;
  tiny: boolean;
}
type Slot = { [SLOT]?: Prestarted };

/** `$TRELLIS_CACHE_DIR`, else `$XDG_CACHE_HOME/trellis`, else `~/.cache/trellis` (as the venv's). */
function hintsFile(env = process.env): string {
  const root = env.TRELLIS_CACHE_DIR
    ? path.resolve(env.TRELLIS_CACHE_DIR)
    : env.XDG_CACHE_HOME
      ? path.resolve(env.XDG_CACHE_HOME, "trellis")
      : path.join(os.homedir(), ".cache", "trellis");
  return path.join(root, "prestart.json");
}

function readHints(): Record<string, Hint> {
  try {
    return JSON.parse(fs.readFileSync(hintsFile(), "utf8")) as Record<string, Hint>;
  } catch {
    return {};
  }
}

/** Whether a stage spec (the JSON beside its script) builds a tiny model. */
function tinyOf(script: string): boolean {
  try {
    const spec = JSON.parse(fs.readFileSync(script.replace(/\.py$/, ".json"), "utf8")) as {
      model?: { tiny?: unknown; name?: unknown };
    };
    return Boolean(spec.model?.tiny) && !spec.model?.name;
  } catch {
    return false;
  }
}

function endGroup(child: childProcess.ChildProcess): void {
  child.stdin?.destroy();
  try {
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * From bin/trellis.js, with the command line after `run`: starts the pre-start Python when the
 * run is in the foreground, one plain process, and its recipe has run before (the hint).
 * `TRELLIS_PRESTART=0` turns it off.
 */
function startPrestart(args: string[], cwd = process.cwd()): void {
  if (process.env.TRELLIS_PRESTART === "0" || !args.includes("--foreground")) return;
  if (args.some((a) => UNSUITED.includes(a.split("=")[0]!))) return;
  const processes = args.indexOf(PROCESSES_FLAG);
  if (processes >= 0 && args[processes + 1] !== "1") return;
  const recipe = args.find((a) => /\.ya?ml$/i.test(a) && !a.startsWith("-"));
  if (!recipe) return;
  const hint = readHints()[path.resolve(cwd, recipe)];
  if (!hint || !fs.existsSync(hint.python) || !fs.existsSync(SCRIPT)) return;
  const child = childProcess.spawn(hint.python, [SCRIPT, ...(hint.tiny ? ["--tiny"] : [])], {
    env: { ...process.env, PYTHONUNBUFFERED: "1" }, // read once, at the interpreter's start
    stdio: ["pipe", "pipe", "pipe", "pipe", "pipe"], // the stage's: stdout, stderr, events, commands
    detached: true, // its own process group, as a stage has
  });
  child.on("error", () => {}); // a Python that cannot start: the stage spawns its own
  child.stdin?.on("error", () => {}); // one that died: the handoff finds it gone, as a stage would
  // Not adopted, it must not keep trellis alive; its stdin closing (trellis exits) ends it.
  child.unref();
  for (const s of child.stdio) (s as { unref?: () => void } | null)?.unref?.();
  (globalThis as Slot)[SLOT] = { child, python: hint.python, tiny: hint.tiny };
}

/**
 * The pre-started Python, handed `script` to run as `python script` in `cwd` with `env` (the
 * whole environment), if there is one and it suits; else undefined, and the pre-start ends.
 * Only the first caller can get it.
 */
function adoptPrestart(o: {
  python: string;
  script: string;
  cwd: string;
  env: Record<string, string | undefined>;
}): childProcess.ChildProcess | undefined {
  const slot = globalThis as Slot;
  const p = slot[SLOT];
  delete slot[SLOT];
  if (!p) return undefined;
  const script = path.resolve(o.cwd, o.script);
  const suits =
    p.python === o.python &&
    p.child.exitCode === null &&
    p.child.signalCode === null &&
    p.child.pid !== undefined &&
    // With OMP_NUM_THREADS set by the user, tiny or not loads torch alike.
    (o.env.OMP_NUM_THREADS !== undefined || tinyOf(script) === p.tiny);
  if (!suits) {
    endGroup(p.child);
    return undefined;
  }
  p.child.ref();
  for (const s of p.child.stdio) (s as { ref?: () => void } | null)?.ref?.();
  const env = Object.fromEntries(Object.entries(o.env).filter((e): e is [string, string] => e[1] !== undefined));
  p.child.stdin!.end(`${JSON.stringify({ script, cwd: o.cwd, env, argv: [] })}\n`);
  // As execa's `cleanup`: the stage does not outlive trellis.
  const onExit = () => p.child.kill("SIGTERM");
  process.once("exit", onExit);
  p.child.once("exit", () => process.off("exit", onExit));
  return p.child;
}

/** Remembers which Python ran `recipeFile` (and whether its first stage is tiny), for the next run. */
function rememberPrestart(recipeFile: string, python: string, firstScript: string): void {
  const file = hintsFile();
  const hints = readHints();
  delete hints[recipeFile];
  hints[recipeFile] = { python, tiny: tinyOf(firstScript) };
  const kept = Object.fromEntries(Object.entries(hints).slice(-HINTS_KEPT));
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(kept, null, 2)}\n`);
    fs.renameSync(tmp, file);
  } catch {
    // a hint is worth nothing more than the time it saves
  }
}

export = { startPrestart, adoptPrestart, rememberPrestart };
