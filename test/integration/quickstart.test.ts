/**
 * The quickstart recipes, run for real: TRL on the CPU with a tiny model built locally and the
 * bundled data, through the real CLI and the managed environment.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { execa } from "execa";
import { eventsOf, onlyRun, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("quickstart");
let venv: { python: string; dir: string };

before(
  async () => {
    const setup = await trellis(["env", "setup"], { cwd: ws.dir, env: ws.env });
    assert.equal(setup.exitCode, 0, setup.stderr);
    const doctor = await trellis(["env", "doctor", "--json"], { cwd: ws.dir, env: ws.env });
    const report = JSON.parse(doctor.stdout) as { python: { path: string }; venv: { dir: string } };
    venv = { python: report.python.path, dir: report.venv.dir };
  },
  { timeout: RUN_TIMEOUT_MS },
);

async function run(recipe: string, runs: string) {
  const markerBefore = statSync(path.join(venv.dir, "trellis-env.json")).mtimeMs;
  const result = await trellis(["run", path.join(RECIPES, recipe), "--runs-dir", runs, "--json"], {
    cwd: ws.dir,
    env: ws.env,
  });
  assert.equal(result.exitCode, 0, `${recipe} failed:\n${result.stderr}`);
  const dir = onlyRun(runs);
  const events = readEvents(path.join(dir, "events.jsonl"));
  // The environment was set up in before(): this run must install nothing.
  const [envEvent] = eventsOf(events, "environment");
  assert.equal(envEvent?.installed, false);
  assert.equal(statSync(path.join(venv.dir, "trellis-env.json")).mtimeMs, markerBefore);
  // stdout carries the same events as events.jsonl, one JSON line each.
  assert.deepEqual(
    result.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l)),
    events,
  );
  return { dir, events, result };
}

const losses = (events: ReturnType<typeof readEvents>, stage: string) =>
  eventsOf(events, "metrics", stage).map((e) => [e.step, e.metrics.loss]);

describe("quickstart ORPO", { timeout: RUN_TIMEOUT_MS }, () => {
  let orpo: Awaited<ReturnType<typeof run>>;
  before(async () => {
    orpo = await run("quickstart-orpo.yaml", path.join(ws.dir, "runs-orpo"));
  });

  it("logs metrics at every logging step with loss, rewards/accuracies and log_odds_ratio", () => {
    const metrics = eventsOf(orpo.events, "metrics", "orpo");
    const maxSteps = metrics[0]!.max_steps;
    const loggingSteps = 5;
    assert.deepEqual(
      metrics.map((m) => m.step),
      Array.from({ length: maxSteps / loggingSteps }, (_, i) => (i + 1) * loggingSteps),
    );
    for (const m of metrics)
      for (const key of ["loss", "rewards/accuracies", "log_odds_ratio", "nll_loss"])
        assert.equal(typeof m.metrics[key], "number", `${key} at step ${m.step}`);
  });

  it("saves the final model and keeps the run's files", () => {
    const out = path.join(orpo.dir, "output", "orpo");
    assert.ok(existsSync(path.join(out, "model.safetensors")));
    assert.ok(existsSync(path.join(out, "tokenizer.json")));
    for (const f of [
      "recipe.yaml",
      "recipe.resolved.yaml",
      "trellis.log",
      "scripts/stage-1-orpo.py",
      "scripts/stage-1-orpo.json",
      "logs/orpo.stdout.log",
      "logs/orpo.stderr.log",
    ]) {
      assert.ok(existsSync(path.join(orpo.dir, f)), f);
    }
    assert.equal(
      readFileSync(path.join(orpo.dir, "recipe.yaml"), "utf8"),
      readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8"),
    );
  });

  it("raises held-out preference accuracy from about 0.5 to at least 0.8, and reports both", () => {
    const [end] = eventsOf(orpo.events, "run_end");
    assert.equal(end?.status, "finished");
    assert.ok(end.preference!.before! >= 0.3 && end.preference!.before! <= 0.7, `before: ${end.preference!.before}`);
    assert.ok(end.preference!.after! >= 0.8, `after: ${end.preference!.after}`);
    assert.match(orpo.result.stderr, /held-out preference accuracy: \d\.\d\d before -> \d\.\d\d after/);
  });

  it("the rendered folder, moved elsewhere, runs with plain python and gives the same loss sequence", async () => {
    const rendered = path.join(ws.dir, "rendered-orpo");
    const render = await trellis(["render", path.join(RECIPES, "quickstart-orpo.yaml"), "--out", rendered], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(render.exitCode, 0, render.stderr);
    // Its paths are relative to its folder: moved, it still runs, and writes inside its new place.
    const out = path.join(ws.dir, "moved", "orpo-scripts");
    mkdirSync(path.dirname(out), { recursive: true });
    renameSync(rendered, out);
    const eventsFile = path.join(ws.dir, "plain-events.jsonl");
    const plain = await execa(venv.python, [path.join(out, "stage-1-orpo.py")], {
      cwd: ws.dir,
      env: { ...ws.env, TRELLIS_EVENTS_FILE: eventsFile },
      reject: false,
    });
    assert.equal(plain.exitCode, 0, String(plain.stderr).slice(-2000));
    const plainEvents = readEvents(eventsFile).map((e, i) => ({ ...e, seq: i + 1 }));
    assert.deepEqual(losses(plainEvents, "orpo"), losses(orpo.events, "orpo"));
    assert.ok(losses(orpo.events, "orpo").length > 0);
    assert.ok(existsSync(path.join(out, "output", "orpo", "model.safetensors")));
    assert.equal(eventsOf(plainEvents, "saved")[0]?.path, path.join(out, "output", "orpo"));
  });
});

describe("quickstart SFT then DPO", { timeout: RUN_TIMEOUT_MS }, () => {
  it("runs SFT, then DPO from the SFT output, and ends at >= 0.8 preference accuracy", async () => {
    const { events, dir } = await run("quickstart-sft-dpo.yaml", path.join(ws.dir, "runs-sft-dpo"));
    assert.deepEqual(
      eventsOf(events, "stage_end").map((e) => [e.stage, e.status]),
      [
        ["sft", "finished"],
        ["dpo", "finished"],
      ],
    );
    const spec = JSON.parse(readFileSync(path.join(dir, "scripts", "stage-2-dpo.json"), "utf8")) as {
      from_dir: string;
    };
    // Relative to the script's folder, so the run directory can be moved.
    assert.equal(spec.from_dir, "../output/sft");
    // Policy and reference both start as the SFT model: DPO's first loss is log 2, margin 0.
    const first = eventsOf(events, "metrics", "dpo")[0]!;
    assert.equal(first.step, 1);
    assert.ok(Math.abs((first.metrics.loss as number) - Math.LN2) < 0.02, `first DPO loss ${first.metrics.loss}`);
    assert.ok(
      Math.abs(first.metrics["rewards/margins"] as number) < 0.05,
      `first margin ${first.metrics["rewards/margins"]}`,
    );
    const [end] = eventsOf(events, "run_end");
    assert.ok(end!.preference!.before! <= 0.7, `before: ${end!.preference!.before}`);
    assert.ok(end!.preference!.after! >= 0.8, `after: ${end!.preference!.after}`);
  });
});

describe("quickstart DPO with LoRA", { timeout: RUN_TIMEOUT_MS }, () => {
  it("saves an adapter", async () => {
    const { events, dir } = await run("quickstart-dpo-lora.yaml", path.join(ws.dir, "runs-lora"));
    const out = path.join(dir, "output", "dpo");
    assert.ok(existsSync(path.join(out, "adapter_config.json")));
    assert.ok(existsSync(path.join(out, "adapter_model.safetensors")));
    assert.ok(!existsSync(path.join(out, "model.safetensors")), "a LoRA stage saves the adapter, not full weights");
    assert.equal(eventsOf(events, "saved")[0]?.adapter, true);
  });
});
