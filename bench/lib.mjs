// Small helpers shared by the benchmark scripts: timing child processes, medians, machine facts.
import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";

/** Runs a command to the end; wall seconds from spawn to exit, and its exit code. */
export function timed(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const startEpoch = Date.now() / 1000;
    const child = spawn(cmd, args, { stdio: ["ignore", opts.stdout ?? "ignore", opts.stderr ?? "ignore"], ...opts });
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve({ wall: Number(process.hrtime.bigint() - start) / 1e9, startEpoch, code, signal }));
  });
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const round = (x, digits = 3) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

export function machine() {
  return { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? "?", node: process.version, loadavg_at_start: loadavg().map((x) => round(x, 2)), date: new Date().toISOString() };
}
