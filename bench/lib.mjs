// Small helpers shared by the benchmark scripts: timing child processes, medians, machine facts.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";

/**
 * Runs a command to the end: wall seconds from spawn to exit, its exit code and, with
 * `cpu: true`, the CPU seconds (user + system) of it and every child it waited for, from
 * GNU time (less sensitive than wall time to other work on a shared machine).
 */
export function timed(cmd, args, opts = {}) {
  const cpuFile = opts.cpu ? path.join(mkdtempSync(path.join(tmpdir(), "bench-time-")), "cpu") : null;
  const [file, argv] = cpuFile ? ["/usr/bin/time", ["-f", "%U %S", "-o", cpuFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const startEpoch = Date.now() / 1000;
    const child = spawn(file, argv, {
      stdio: ["ignore", opts.stdout ?? "ignore", opts.stderr ?? "ignore"],
      cwd: opts.cwd,
      env: opts.env,
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      const wall = Number(process.hrtime.bigint() - start) / 1e9;
      let cpu = null;
      if (cpuFile) {
        const [user, sys] = readFileSync(cpuFile, "utf8").trim().split("\n").at(-1).split(" ").map(Number);
        cpu = user + sys;
        rmSync(path.dirname(cpuFile), { recursive: true, force: true });
      }
      resolve({ wall, cpu, startEpoch, code, signal });
    });
  });
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const round = (x, digits = 3) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

export function machine() {
  return {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? "?",
    node: process.version,
    loadavg_at_start: loadavg().map((x) => round(x, 2)),
    date: new Date().toISOString(),
  };
}

/**
 * Starts a command, stops it (Ctrl-C) once its first training step is logged, and waits for it
 * to end. Returns that step's time after the spawn, from the event's own timestamp, so how soon
 * the step is noticed does not count. The events come on stdout (trellis --json), or with
 * `eventsFile` in that file, which TRELLIS_EVENTS_FILE names (the plain script).
 */
export async function toFirstStep(cmd, args, { cwd, env, eventsFile }) {
  const startEpoch = Date.now() / 1000;
  const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", eventsFile ? "ignore" : "pipe", "ignore"] });
  let text = "";
  let firstStep = null;
  const look = () => {
    const line = text.split("\n").find((l) => /"type":\s*"metrics"/.test(l));
    if (firstStep === null && line) {
      firstStep = JSON.parse(line).time - startEpoch;
      child.kill("SIGINT");
    }
  };
  child.stdout?.on("data", (b) => {
    text += b;
    look();
  });
  const poll = eventsFile
    ? setInterval(() => {
        try {
          text = readFileSync(eventsFile, "utf8");
        } catch {
          return; // not written yet
        }
        look();
      }, 50)
    : null;
  await new Promise((resolve) => child.once("exit", resolve));
  clearInterval(poll);
  return firstStep;
}
