/** Run directories made by hand for the app tests: recorded event streams, prepared-run records (launch.json), supervisors. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PreparedRun } from "../../src/app/prepared-run.js";
import { writePreparedRun } from "../../src/app/prepared-run.js";
import { createRunDir, writeManifestFile } from "../../src/adapters/run-dir.js";
import { ROOT } from "../helpers/cli.js";

export const STREAMS = path.join(ROOT, "test", "fixtures", "streams");

export const tempDir = (name: string) => mkdtempSync(path.join(tmpdir(), `trellis-app-${name}-`));

/** A recorded stream's lines, the first `upTo` of them when given (a run cut short). */
export function streamLines(name: string, upTo?: (line: string) => boolean): string[] {
  const lines = readFileSync(path.join(STREAMS, name), "utf8").trim().split("\n");
  if (!upTo) return lines;
  const i = lines.findIndex(upTo);
  return i < 0 ? lines : lines.slice(0, i + 1);
}

/** runs/<id>/ holding `lines` as its events.jsonl. */
export function fabricateRun(runsDir: string, id: string, lines: string[]): string {
  const dir = path.join(runsDir, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "events.jsonl"), lines.map((l) => `${l}\n`).join(""));
  return dir;
}

/** supervisor.json and a token, as a supervisor in process `pid` would leave them. */
export function fabricateSupervisor(dir: string, pid = process.pid): void {
  const info = { pid, url: "ws://127.0.0.1:1/", host: "127.0.0.1", port: 1, startedAt: Date.now() };
  writeFileSync(path.join(dir, "supervisor.json"), `${JSON.stringify(info)}\n`);
  writeFileSync(path.join(dir, "token"), "secret\n", { mode: 0o600 });
}

/** A pid no process has: far above Linux's default pid_max. */
export const DEAD_PID = 2 ** 30;

// A stage that says it started (scripts/started), then exits once any command (or the end of
// the channel) arrives: a stop ends it at once.
const WAIT_FOR_COMMAND = `import os
open("started", "w").close()
os.fdopen(int(os.environ["TRELLIS_CONTROL_FD"])).readline()
`;

/** A run as `trellis run` leaves it for its supervisor: one stage that waits, a manifest, launch.json. */
export function preparedRun(): PreparedRun {
  const run = createRunDir(path.join(tempDir("supervisor"), "runs"), "waits");
  writeFileSync(path.join(run.scriptsDir, "stage-1-wait.py"), WAIT_FOR_COMMAND);
  writeFileSync(path.join(run.scriptsDir, "stage-1-wait.json"), JSON.stringify({ args: {} }));
  writeManifestFile(run.dir, { data: { files: [], hub: [] }, plan: [], status: "running", exit_code: null });
  const prepared: PreparedRun = {
    runId: run.id,
    runDir: run.dir,
    recipeName: "waits",
    python: "python3",
    venv: "/nowhere",
    installed: false,
    stages: [{ id: "wait", trainer: "sft", script: "stage-1-wait.py" }],
    notices: [{ code: "hello", message: "a notice from trellis run" }],
    host: "127.0.0.1",
    port: 0,
    allowOrigins: [],
    recipeFile: path.join(run.dir, "recipe.yaml"),
    recipeSha256: "0",
    lockSha256: "0",
  };
  writePreparedRun(prepared);
  return prepared;
}
