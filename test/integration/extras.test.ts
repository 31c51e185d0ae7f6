/**
 * Extras end to end: the quickstart (fewer steps) with report_to: tensorboard (the extra asked
 * for in the recipe), then wandb in offline mode (asked for with --extra). trellis installs the
 * extra itself (the first time: a venv layered on the base one, which is left untouched), the
 * tracker writes its files, the manifest records the extra with its pins, and reproduce finds the
 * same extras from the manifest alone.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { eventsOf, onlyRun, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("extras");
const quickstart = readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8");
mkdirSync(path.join(ws.dir, "data"));
for (const f of ["colors-train.jsonl", "colors-eval.jsonl"])
  copyFileSync(path.join(RECIPES, "data", f), path.join(ws.dir, "data", f));
let base: { dir: string; key: string };

before(
  async () => {
    const setup = await trellis(["env", "setup"], { cwd: ws.dir, env: ws.env });
    assert.equal(setup.exitCode, 0, setup.stderr);
    const doctor = JSON.parse((await trellis(["env", "doctor", "--json"], { cwd: ws.dir, env: ws.env })).stdout) as {
      venv: { dir: string; key: string };
    };
    base = doctor.venv;
  },
  { timeout: RUN_TIMEOUT_MS },
);

/** The quickstart cut to a few steps, with `tracker` in report_to (and in the recipe's extras unless `viaFlag`). */
function trackerRecipe(tracker: string, viaFlag: boolean): string {
  const text = quickstart
    .replace("name: quickstart-orpo", `name: quickstart-${tracker}${viaFlag ? "" : `\nextras: [${tracker}]`}`)
    .replace(/num_train_epochs: \d+/, "max_steps: 10")
    .replace(/logging_steps: \d+/, `logging_steps: 5\n      report_to: ${tracker}`);
  assert.notEqual(text, quickstart);
  const file = path.join(ws.dir, `${tracker}.yaml`);
  writeFileSync(file, text);
  return file;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

interface Manifest {
  environment: {
    venv: string;
    extras: Array<{ name: string; lock_sha256: string; pins: Record<string, string> }>;
    packages: Record<string, string>;
  };
}

async function runWith(tracker: string, viaFlag: boolean, env: Record<string, string> = {}) {
  const baseMarker = statSync(path.join(base.dir, "trellis-env.json")).mtimeMs;
  const runs = path.join(ws.dir, `runs-${tracker}`);
  const started = Date.now();
  const flags = viaFlag ? ["--extra", tracker] : [];
  const result = await trellis(["run", trackerRecipe(tracker, viaFlag), "--runs-dir", runs, "--json", ...flags], {
    cwd: ws.dir,
    env: { ...ws.env, ...env },
  });
  assert.equal(result.exitCode, 0, result.stderr);
  const dir = onlyRun(runs);
  const events = readEvents(path.join(dir, "events.jsonl"));
  const [environment] = eventsOf(events, "environment");
  const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
  // Reported for the record: the first run of a tracker includes installing its extra.
  process.stderr.write(
    `# ${tracker}: run took ${((Date.now() - started) / 1000).toFixed(1)} s (extra installed: ${String(environment?.installed)})\n`,
  );
  assert.equal(
    statSync(path.join(base.dir, "trellis-env.json")).mtimeMs,
    baseMarker,
    "the base environment is not rebuilt",
  );
  assert.equal(eventsOf(events, "run_end")[0]?.status, "finished");
  return { dir, runs, events, environment, manifest, stderr: result.stderr };
}

/** The extras venv a run used: layered on the base venv, its marker naming the extra. */
function assertExtrasVenv(venv: string | undefined, tracker: string) {
  assert.ok(venv && venv !== base.dir, `ran in ${venv}, not the base venv`);
  const marker = JSON.parse(readFileSync(path.join(venv, "trellis-env.json"), "utf8")) as {
    base: string;
    extras: string[];
  };
  assert.deepEqual([marker.base, marker.extras], [base.dir, [tracker]]);
}

describe("report_to: tensorboard through the tensorboard extra", { timeout: RUN_TIMEOUT_MS }, () => {
  let run: Awaited<ReturnType<typeof runWith>>;
  before(async () => {
    run = await runWith("tensorboard", false);
  });

  it("writes TensorBoard event files in the stage's output", () => {
    const files = walk(path.join(run.dir, "output", "orpo")).filter((f) =>
      path.basename(f).startsWith("events.out.tfevents."),
    );
    assert.ok(files.length >= 1, "an events.out.tfevents.* file");
    assert.ok(statSync(files[0]!).size > 0);
  });

  it("ran in a venv for the extra, layered on the base one", () =>
    assertExtrasVenv(run.environment?.venv, "tensorboard"));

  it("records the extra and its pins in the manifest", () => {
    const [extra] = run.manifest.environment.extras;
    assert.equal(extra?.name, "tensorboard");
    assert.match(extra.lock_sha256, /^[0-9a-f]{64}$/);
    assert.equal(run.manifest.environment.packages.tensorboard, extra.pins.tensorboard);
  });

  it("env doctor --extra lists the extra as installed", async () => {
    const doctor = await trellis(["env", "doctor", "--extra", "tensorboard", "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal(doctor.exitCode, 0, doctor.stdout);
    const report = JSON.parse(doctor.stdout) as {
      venv: { dir: string };
      extras: Array<{ name: string; packages: Array<{ status: string }> }>;
    };
    assert.equal(report.venv.dir, run.environment?.venv);
    assert.equal(report.extras[0]?.name, "tensorboard");
    assert.equal(report.extras[0]?.packages[0]?.status, "ok");
  });
});

describe("report_to: wandb in offline mode through --extra wandb", { timeout: RUN_TIMEOUT_MS }, () => {
  const wandbEnv = { WANDB_MODE: "offline", WANDB_SILENT: "true" };
  let run: Awaited<ReturnType<typeof runWith>>;
  before(async () => {
    run = await runWith("wandb", true, wandbEnv);
  });

  it("writes the offline run folder in the run directory", () => {
    const folder = path.join(run.dir, "wandb");
    const offline = existsSync(folder) ? readdirSync(folder).filter((d) => d.startsWith("offline-run-")) : [];
    assert.equal(offline.length, 1, `wandb/offline-run-* in ${run.dir}`);
    assert.ok(
      walk(path.join(folder, offline[0]!)).some((f) => f.endsWith(".wandb")),
      "the run's .wandb log",
    );
  });

  it("ran in a venv for the extra, layered on the base one", () => assertExtrasVenv(run.environment?.venv, "wandb"));

  it("reproduce takes the extras from the manifest (no --extra) and gives identical metrics", async () => {
    assert.deepEqual(
      run.manifest.environment.extras.map((e) => e.name),
      ["wandb"],
    );
    const result = await trellis(["reproduce", path.basename(run.dir), "--runs-dir", run.runs], {
      cwd: ws.dir,
      env: { ...ws.env, ...wandbEnv },
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stderr, /^identical: \d+ metric values over \d+ logged steps/m);
    const again = path.join(
      run.runs,
      readdirSync(run.runs).find((d) => path.join(run.runs, d) !== run.dir)!,
    );
    const [environment] = eventsOf(readEvents(path.join(again, "events.jsonl")), "environment");
    assert.equal(environment?.venv, run.environment?.venv);
    assert.equal(environment?.installed, false);
  });
});
