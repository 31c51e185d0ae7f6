// Benchmark: events from a Python emitter, through a real detached supervisor (events.jsonl,
// reducer, websocket), to a websocket client. Measures sustained events/s with nothing lost,
// p50/p99 latency at 100 events/s, and the supervisor's memory after 1,000,000 events.
//
//   npm run build && node bench/event-stream.mjs [--events 1000000] [--rate-seconds 10]
//
// Writes bench/results/event-stream.json. Targets (issue 3): >= 20,000 events/s, p99 < 50 ms,
// supervisor RSS < 200 MB after 1M events.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync, existsSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import path from "node:path";
import { spawn, execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { followRun } = await import(path.join(root, "dist/src/adapters/ws-client.js"));
const { values } = parseArgs({
  options: { events: { type: "string", default: "1000000" }, "rate-seconds": { type: "string", default: "10" } },
});

const python = JSON.parse(
  execFileSync(process.execPath, [path.join(root, "bin/trellis.js"), "env", "doctor", "--json"], { encoding: "utf8" }),
).python.path;

/** Prepares a run directory whose single stage is the emitter, and starts its supervisor. */
async function startBenchRun(env) {
  const runDir = mkdtempSync(path.join(tmpdir(), "trellis-bench-"));
  const scripts = path.join(runDir, "scripts");
  mkdirSync(scripts);
  mkdirSync(path.join(runDir, "logs"));
  copyFileSync(path.join(root, "bench/emitter.py"), path.join(scripts, "emitter.py"));
  cpSync(path.join(root, "python/trellis_runtime"), path.join(scripts, "trellis_runtime"), { recursive: true });
  const prepared = {
    runId: path.basename(runDir),
    runDir,
    recipeName: "bench",
    python,
    venv: "",
    installed: false,
    stages: [{ id: "bench", trainer: "orpo", script: "emitter.py" }],
    notices: [],
    host: "127.0.0.1",
    port: 0,
    allowOrigins: [],
  };
  writeFileSync(path.join(runDir, "launch.json"), JSON.stringify(prepared));
  const child = spawn(process.execPath, [path.join(root, "dist/src/supervisor-main.js"), runDir], {
    env: { ...process.env, ...env, TRELLIS_LOG_LEVEL: "warn" },
    stdio: "inherit",
  });
  while (!existsSync(path.join(runDir, "supervisor.json"))) await new Promise((r) => setTimeout(r, 20));
  const { url } = JSON.parse(readFileSync(path.join(runDir, "supervisor.json"), "utf8"));
  const token = readFileSync(path.join(runDir, "token"), "utf8").trim();
  return { runDir, url, token, pid: child.pid, exited: new Promise((r) => child.once("exit", r)) };
}

function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rssMb: kb("VmRSS") / 1024, peakRssMb: kb("VmHWM") / 1024 };
}

/** Runs the emitter and follows the run to its end; returns what the client saw. */
async function measure(env, { sampleMemory = false } = {}) {
  const run = await startBenchRun(env);
  let count = 0;
  let lastSeq = 0;
  let gaps = 0;
  let first;
  let last;
  const latencies = [];
  let memory;
  const follower = followRun({
    url: run.url,
    token: run.token,
    onEvent: (e) => {
      if (e.seq !== lastSeq + 1) gaps++;
      lastSeq = e.seq;
      if (e.type !== "metrics") return;
      const now = (performance.timeOrigin + performance.now()) / 1000; // sub-millisecond, unlike Date.now()
      first ??= now;
      last = now;
      count++;
      latencies.push((now - e.time) * 1000);
      if (sampleMemory && count === Number(env.BENCH_EVENTS)) memory = memoryOf(run.pid);
    },
  });
  await follower.done;
  await run.exited;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return {
    received: count,
    gaps,
    seconds: last - first,
    eventsPerSecond: count / (last - first),
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    memory,
  };
}

const rateSeconds = Number(values["rate-seconds"]);
const million = Number(values.events);
const throughput = await measure({ BENCH_EVENTS: String(Math.min(200_000, million)) });
console.log("throughput", throughput);
const latency = await measure({ BENCH_EVENTS: String(100 * rateSeconds), BENCH_RATE: "100" });
console.log("latency at 100 events/s", latency);
const big = await measure({ BENCH_EVENTS: String(million) }, { sampleMemory: true });
console.log(`${million} events`, big);

const results = {
  date: new Date().toISOString(),
  machine: `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`,
  throughput: {
    events: throughput.received,
    lost: Number(Math.min(200_000, million)) - throughput.received,
    gaps: throughput.gaps,
    eventsPerSecond: Math.round(throughput.eventsPerSecond),
    target: ">= 20000",
  },
  latencyAt100PerSecond: {
    events: latency.received,
    p50Ms: +latency.p50Ms.toFixed(2),
    p99Ms: +latency.p99Ms.toFixed(2),
    target: "p99 < 50 ms",
  },
  million: {
    events: big.received,
    lost: million - big.received,
    gaps: big.gaps,
    eventsPerSecond: Math.round(big.eventsPerSecond),
    supervisorRssMb: +big.memory?.rssMb.toFixed(1),
    supervisorPeakRssMb: +big.memory?.peakRssMb.toFixed(1),
    target: "RSS < 200 MB",
  },
};
writeFileSync(path.join(root, "bench/results/event-stream.json"), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
