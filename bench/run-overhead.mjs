// Benchmark: what `trellis run` costs over the script it renders. Pairs in turn (the order
// alternates): `trellis run <recipe> --foreground --json` against `trellis render` output run
// with the managed environment's python (warm environment, tiny model already cached). Both
// write events (the plain script to TRELLIS_EVENTS_FILE), so the time to `train_begin` and to the
// first logged training step are read the same way, from event timestamps.
//
//   npm run build && node bench/run-overhead.mjs [--pairs 3] [--recipe bench/recipes/orpo-minute.yaml] [--no-prestart]
//
// One untimed `trellis run` of the recipe first (stopped at its first step) warms the caches and
// leaves the hint by which later runs start their Python early (src/adapters/python-prestart.cts);
// each timed run's trellis.log says whether its stage used that pre-started Python. With
// --no-prestart, a third run in each round is `trellis run` with TRELLIS_PRESTART=0.
//
// Writes bench/results/run-overhead.json. Targets (issue 12): wall within 3% of the plain
// script on a run of a minute or more; first step no more than 1 s after the plain script's.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadavg } from "node:os";
import { machine, median, round, timed, toFirstStep } from "./lib.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    pairs: { type: "string", default: "3" },
    recipe: { type: "string", default: "bench/recipes/orpo-minute.yaml" },
    out: { type: "string", default: "bench/results/run-overhead.json" },
    "no-prestart": { type: "boolean", default: false },
    starts: { type: "string", default: "0" },
  },
});
const recipe = path.resolve(root, values.recipe);
const atStart = machine(); // the load before the runs, not after
const trellis = path.join(root, "bin/trellis.js");
const python = JSON.parse(execFileSync(process.execPath, [trellis, "env", "doctor", "--json"], { encoding: "utf8" }))
  .python.path;
const work = mkdtempSync(path.join(tmpdir(), "trellis-overhead-"));
const rendered = path.join(work, "rendered");
const stage = JSON.parse(
  execFileSync(process.execPath, [trellis, "render", recipe, "--out", rendered, "--json"], { encoding: "utf8" }),
).stages[0];

const events = (file) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
function offsets(list, startEpoch) {
  const at = (type) => list.find((e) => e.type === type)?.time;
  return {
    train_begin_s: at("train_begin") - startEpoch,
    first_step_s: at("metrics") - startEpoch,
    train_end_s: at("train_summary") - startEpoch,
  };
}

async function runTrellis(i, prestart = true) {
  const runs = path.join(work, `runs-${i}-${prestart ? "p" : "n"}`);
  const t = await timed(process.execPath, [trellis, "run", recipe, "--foreground", "--json", "--runs-dir", runs], {
    cwd: root,
    cpu: true,
    env: { ...process.env, TRELLIS_PRESTART: prestart ? "1" : "0" },
  });
  if (t.code !== 0) throw new Error(`trellis run exited with ${t.code}`);
  const dir = path.join(runs, readdirSync(runs)[0]);
  const prestarted = /"prestarted":true/.test(readFileSync(path.join(dir, "trellis.log"), "utf8"));
  return { wall_s: t.wall, cpu_s: t.cpu, prestarted, ...offsets(events(path.join(dir, "events.jsonl")), t.startEpoch) };
}

/** One run to its first logged step: caches warm, and the pre-start hint written. */
const warmUp = () =>
  toFirstStep(
    process.execPath,
    [trellis, "run", recipe, "--foreground", "--json", "--runs-dir", path.join(work, "runs-warm-up")],
    {
      cwd: root,
      env: process.env,
    },
  );

/** Pairs of starts in turn, each stopped at its first step: the time to it, measured alone. */
async function starts(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = () =>
      toFirstStep(
        process.execPath,
        [trellis, "run", recipe, "--foreground", "--json", "--runs-dir", path.join(work, `starts-${i}`)],
        {
          cwd: root,
          env: process.env,
        },
      );
    const file = path.join(work, `start-plain-${i}.jsonl`);
    const p = () =>
      toFirstStep(python, [path.join(rendered, path.basename(stage.script))], {
        cwd: rendered,
        env: { ...process.env, TRELLIS_EVENTS_FILE: file },
        eventsFile: file,
      });
    let trellisS, plainS;
    if (i % 2) {
      trellisS = await t();
      plainS = await p();
    } else {
      plainS = await p();
      trellisS = await t();
    }
    out.push({ trellis_s: trellisS, plain_s: plainS, delay_s: trellisS - plainS });
    console.error(`start ${i + 1}: first step, trellis ${trellisS.toFixed(2)} s, plain ${plainS.toFixed(2)} s`);
  }
  return out;
}

async function runPlain(i) {
  const file = path.join(work, `plain-${i}.jsonl`);
  const t = await timed(python, [path.join(rendered, path.basename(stage.script))], {
    cwd: rendered,
    env: { ...process.env, TRELLIS_EVENTS_FILE: file },
    cpu: true,
  });
  if (t.code !== 0) throw new Error(`the plain script exited with ${t.code}`);
  return { wall_s: t.wall, cpu_s: t.cpu, ...offsets(events(file), t.startEpoch) };
}

await warmUp();
const pairs = [];
for (let i = 0; i < Number(values.pairs); i++) {
  // Alternate who goes first, so a slow patch of the shared machine hits both alike.
  let a, b;
  if (i % 2) {
    a = await runPlain(i);
    b = await runTrellis(i);
  } else {
    b = await runTrellis(i);
    a = await runPlain(i);
  }
  pairs.push({
    plain: a,
    trellis: b,
    wall_ratio: b.wall_s / a.wall_s,
    cpu_ratio: b.cpu_s / a.cpu_s,
    first_step_delay_s: b.first_step_s - a.first_step_s,
    train_begin_delay_s: b.train_begin_s - a.train_begin_s,
    // The same training loop in both: what differs here is the machine, and what trellis's own
    // process takes from the training while it runs.
    training_ratio: (b.train_end_s - b.train_begin_s) / (a.train_end_s - a.train_begin_s),
    tail_delay_s: b.wall_s - b.train_end_s - (a.wall_s - a.train_end_s),
  });
  if (values["no-prestart"]) {
    const c = await runTrellis(i, false);
    Object.assign(pairs.at(-1), {
      trellis_no_prestart: c,
      no_prestart_wall_ratio: c.wall_s / a.wall_s,
      no_prestart_first_step_delay_s: c.first_step_s - a.first_step_s,
    });
    console.error(
      `  without pre-start: ${c.wall_s.toFixed(2)} s, first step ${(c.first_step_s - a.first_step_s).toFixed(2)} s later`,
    );
  }
  console.error(
    `pair ${i + 1}: trellis${b.prestarted ? " (pre-started)" : ""} ${b.wall_s.toFixed(2)} s (cpu ${b.cpu_s.toFixed(2)}), plain ${a.wall_s.toFixed(2)} s (cpu ${a.cpu_s.toFixed(2)}), wall ratio ${(b.wall_s / a.wall_s).toFixed(3)}, first step ${(b.first_step_s - a.first_step_s).toFixed(2)} s later`,
  );
}
const startPairs = await starts(Number(values.starts));
rmSync(work, { recursive: true, force: true });

const m = (f) => round(median(pairs.map(f)));
const result = {
  what: "whole process wall and CPU (user+sys, children included) seconds; train_begin/first_step: event timestamps minus the process's spawn time",
  recipe: path.relative(root, recipe),
  machine: {
    ...atStart,
    loadavg_at_end: loadavg().map((x) => round(x, 2)),
    note: "2 cores shared with other engineers' builds and tests: compare the ratios of pairs measured in turn, not absolute times",
  },
  median: {
    trellis_wall_s: m((p) => p.trellis.wall_s),
    plain_wall_s: m((p) => p.plain.wall_s),
    wall_ratio: m((p) => p.wall_ratio),
    trellis_cpu_s: m((p) => p.trellis.cpu_s),
    plain_cpu_s: m((p) => p.plain.cpu_s),
    cpu_ratio: m((p) => p.cpu_ratio),
    trellis_first_step_s: m((p) => p.trellis.first_step_s),
    plain_first_step_s: m((p) => p.plain.first_step_s),
    first_step_delay_s: m((p) => p.first_step_delay_s),
    train_begin_delay_s: m((p) => p.train_begin_delay_s),
    training_ratio: m((p) => p.training_ratio),
    tail_delay_s: m((p) => p.tail_delay_s),
    ...(values["no-prestart"]
      ? {
          no_prestart_wall_ratio: m((p) => p.no_prestart_wall_ratio),
          no_prestart_first_step_delay_s: m((p) => p.no_prestart_first_step_delay_s),
        }
      : {}),
  },
  // How much one plain run differs from the next, the same work on the same machine: the noise
  // that the pairs' median has to see through.
  spread: {
    plain_wall_s: [Math.min(...pairs.map((p) => p.plain.wall_s)), Math.max(...pairs.map((p) => p.plain.wall_s))].map(
      (x) => round(x),
    ),
    wall_ratio: [Math.min(...pairs.map((p) => p.wall_ratio)), Math.max(...pairs.map((p) => p.wall_ratio))].map((x) =>
      round(x),
    ),
  },
  // --starts: more pairs, each stopped at its first step (a start costs seconds, a run a minute).
  ...(startPairs.length
    ? {
        starts: {
          pairs: startPairs.length,
          median_first_step_delay_s: round(median(startPairs.map((p) => p.delay_s))),
          median_trellis_first_step_s: round(median(startPairs.map((p) => p.trellis_s))),
          median_plain_first_step_s: round(median(startPairs.map((p) => p.plain_s))),
          delays_s: startPairs.map((p) => round(p.delay_s)),
        },
      }
    : {}),
  prestarted_runs: `${pairs.filter((p) => p.trellis.prestarted).length} of ${pairs.length}`,
  targets: { wall_ratio_le: 1.03, first_step_delay_le_s: 1 },
  pairs: pairs.map((p) => JSON.parse(JSON.stringify(p, (_k, v) => (typeof v === "number" ? round(v) : v)))),
};
result.met = pairs.length
  ? {
      wall_ratio: result.median.wall_ratio <= 1.03,
      first_step_delay: result.median.first_step_delay_s <= 1,
      // the wall target is for a run of a minute or more
      every_run_a_minute: pairs.every((p) => p.plain.wall_s >= 60 && p.trellis.wall_s >= 60),
    }
  : {};
if (!pairs.length) for (const key of ["median", "spread", "prestarted_runs", "pairs"]) delete result[key];
if (result.starts) result.met.starts_first_step_delay = result.starts.median_first_step_delay_s <= 1;
writeFileSync(path.resolve(root, values.out), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify({ median: result.median, starts: result.starts, met: result.met }, null, 2));
