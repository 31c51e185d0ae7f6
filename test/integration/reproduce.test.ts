/** The run manifest records what produced a run; `trellis reproduce` re-runs it and compares. */
import assert from "node:assert/strict";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { execa } from "execa";
import { onlyRun, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("reproduce");

describe("manifest and reproduce", { timeout: RUN_TIMEOUT_MS }, () => {
  // A recipe in a git repository of its own, with its own copy of the data (changed later).
  cpSync(path.join(RECIPES, "data"), path.join(ws.dir, "data"), { recursive: true });
  const recipe = path.join(ws.dir, "recipe.yaml");
  writeFileSync(
    recipe,
    readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8")
      .replace(/num_train_epochs: \d+/, "num_train_epochs: 1")
      .replace("      max_length: 64", "      max_length: 64\n      full_determinism: true"),
  );
  const runs = path.join(ws.dir, "runs");
  let original: string;

  it("a run writes a manifest with every field", async () => {
    for (const args of [
      ["init", "-q"],
      ["add", "."],
      ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "recipe"],
    ])
      await execa("git", args, { cwd: ws.dir });
    const run = await trellis(["run", recipe, "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal(run.exitCode, 0, run.stderr);
    original = onlyRun(runs);
    const m = JSON.parse(readFileSync(path.join(original, "manifest.json"), "utf8")) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const { version } = JSON.parse(readFileSync(path.join(RECIPES, "..", "package.json"), "utf8")) as {
      version: string;
    };
    assert.equal(m.trellis_version, version);
    assert.match(m.git.commit, /^[0-9a-f]{40}$/);
    assert.equal(m.git.dirty, true, "the runs folder is new and untracked");
    assert.equal(m.recipe.file, recipe);
    assert.match(m.recipe.sha256, /^[0-9a-f]{64}$/);
    assert.equal(m.recipe.resolved.name, "quickstart-orpo");
    assert.match(m.recipe.resolved_sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      m.scripts.map((s: { file: string }) => s.file),
      ["scripts/stage-1-orpo.py"],
    );
    assert.match(m.scripts[0].sha256, /^[0-9a-f]{64}$/);
    assert.match(m.environment.lock_sha256, /^[0-9a-f]{64}$/);
    assert.equal(m.environment.packages.trl, "1.13.0");
    assert.ok(Object.keys(m.environment.packages).length > 50, "the full package list");
    assert.match(m.environment.python, /^3\.\d+/);
    assert.match(m.environment.torch, /^2\./);
    assert.ok("cuda" in m.environment && "driver" in m.environment && Array.isArray(m.environment.gpus));
    assert.deepEqual(
      m.data.files.map((f: { file: string }) => path.basename(f.file)),
      ["colors-train.jsonl", "colors-eval.jsonl"],
    );
    assert.match(m.data.files[0].sha256, /^[0-9a-f]{64}$/);
    assert.ok(Array.isArray(m.data.hub));
    assert.deepEqual(
      m.models.map((x: { stage: string }) => x.stage),
      ["orpo"],
    );
    assert.deepEqual(m.seeds, { recipe: 42, stages: { orpo: 42 } });
    assert.ok(m.command.some((a: string) => a.endsWith("recipe.yaml")));
    assert.ok(Date.parse(m.started_at) <= Date.parse(m.ended_at));
    assert.equal(m.status, "finished");
    assert.equal(m.exit_code, 0);
    assert.deepEqual(
      m.plan.map((p: Record<string, unknown>) => [
        p.stage,
        p.per_device_train_batch_size,
        p.gradient_accumulation_steps,
        p.world_size,
        p.effective_batch_size,
        p.device,
        p.full_determinism,
      ]),
      [["orpo", 8, 1, 1, 8, "cpu", true]],
    );
  });

  it("reproduce reports identical metrics on the CPU", async () => {
    const result = await trellis(["reproduce", path.basename(original), "--runs-dir", runs, "--json"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stderr, /same data, packages and GPUs as recorded/);
    assert.match(result.stderr, /identical: \d+ metric values over \d+ logged steps/);
    const report = JSON.parse(result.stdout) as { identical: boolean; values: number };
    assert.equal(report.identical, true);
    assert.ok(report.values > 50);
  });

  it("after a change to the data: the hash difference before running, the first differing step after", async () => {
    const train = path.join(ws.dir, "data", "colors-train.jsonl");
    const rows = readFileSync(train, "utf8").trim().split("\n");
    // Swap every pair's answers in the first batch: the first step's loss must differ.
    const swapped = rows.map((l, i) => {
      if (i >= 160) return l;
      const r = JSON.parse(l) as { prompt: string; chosen: string; rejected: string };
      return JSON.stringify({ prompt: r.prompt, chosen: r.rejected, rejected: r.chosen });
    });
    writeFileSync(train, `${swapped.join("\n")}\n`);
    const result = await trellis(["reproduce", path.basename(original), "--runs-dir", runs, "--plain"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(result.exitCode, 1, result.stderr);
    const changed = result.stderr.indexOf("colors-train.jsonl changed: sha256");
    const differs = result.stderr.search(/different: first at stage 'orpo' step \d+: \S+ was/);
    assert.ok(changed >= 0, result.stderr);
    assert.ok(differs > changed, "the hash difference is reported before the run, the metric difference after");
  });
});
