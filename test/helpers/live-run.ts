/** Starting a real run in the background and reaching its supervisor, for the websocket tests. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { BIN, RECIPES, runDirs } from "./cli.js";

/** The quickstart ORPO recipe made longer and chattier: a metrics event at every step. */
export function longOrpoRecipe(dir: string, epochs = 8): string {
  const text = readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8")
    .replace(/num_train_epochs: \d+/, `num_train_epochs: ${epochs}`)
    .replace(/logging_steps: \d+/, "logging_steps: 1")
    .replace(/data\//g, `${path.join(RECIPES, "data")}/`);
  const file = path.join(dir, `long-orpo-${epochs}.yaml`);
  writeFileSync(file, text);
  return file;
}

export interface LiveRun {
  child: ResultPromise;
  dir: string;
  url: string;
  token: string;
}

export async function startRun(
  recipe: string,
  runs: string,
  env: Record<string, string>,
  args: string[] = ["--json"],
): Promise<LiveRun> {
  const before = new Set(runDirs(runs));
  const child = execa(process.execPath, [BIN, "run", recipe, "--runs-dir", runs, ...args], {
    env,
    reject: false,
    stdin: "ignore",
    buffer: true,
  });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const dir = runDirs(runs).find((d) => !before.has(d));
    const info = dir && path.join(dir, "supervisor.json");
    if (dir && info && existsSync(info) && existsSync(path.join(dir, "token"))) {
      // Read it once it is whole: the supervisor may be writing it right now.
      const text = readFileSync(info, "utf8");
      const token = readFileSync(path.join(dir, "token"), "utf8").trim();
      if (text.trim().endsWith("}") && token) {
        const { url } = JSON.parse(text) as { url: string };
        return { child, dir, url, token };
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error(`no supervisor started under ${runs}: ${String((await child).stderr)}`);
}

export async function waitFor(check: () => boolean, timeoutMs = 120_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Processes whose command line names the run directory: its supervisor and trainers. */
export function runProcesses(runDir: string): string[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(runDir);
      } catch {
        return false; // it exited while we looked
      }
    });
}

/** After a run ends, its supervisor and trainer processes exit within moments; none may stay. */
export const assertNoRunProcesses = (runDir: string) =>
  waitFor(
    () => runProcesses(runDir).length === 0,
    10_000,
    `the processes of ${runDir} to exit (left: ${runProcesses(runDir).join(", ")})`,
  );
