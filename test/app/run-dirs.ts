/** Run directories made by hand for the app tests: recorded event streams, launch files, supervisors. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
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
