/**
 * A run's manifest written for a real recipe in a git repository, completed at the end, read
 * back by reproduce, and compared with the machine after its data changed. Python is the
 * system's python3 (the probe reads package metadata only); no training.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFileSync, cpSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { execa } from "execa";
import { loadRecipe } from "../../src/app/load-recipe.js";
import { finalizeManifest, writeInitialManifest } from "../../src/app/manifest.js";
import { readManifest, whatChanged } from "../../src/app/reproduce.js";
import { TRELLIS_VERSION } from "../../src/adapters/package-files.js";
import { createRunDir } from "../../src/adapters/run-dir.js";
import { renderRecipe } from "../../src/core/render/render.js";
import { RECIPES } from "../helpers/cli.js";
import { tempDir } from "./run-dirs.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const git = (dir: string, ...args: string[]) =>
  execa("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args]);

describe("the manifest of a run", { timeout: 60_000 }, () => {
  let repo: string;
  let runDir: string;
  let recipeFile: string;
  let commit: string;
  const manifest = () => JSON.parse(readFileSync(path.join(runDir, "manifest.json"), "utf8"));

  before(async () => {
    repo = tempDir("manifest-repo");
    recipeFile = path.join(repo, "quickstart-orpo.yaml");
    cpSync(path.join(RECIPES, "quickstart-orpo.yaml"), recipeFile);
    for (const f of ["colors-train.jsonl", "colors-eval.jsonl"])
      cpSync(path.join(RECIPES, "data", f), path.join(repo, "data", f));
    await git(repo, "init", "-q");
    await git(repo, "add", ".");
    await git(repo, "commit", "-qm", "recipe");
    commit = String((await git(repo, "rev-parse", "HEAD")).stdout).trim();

    const loaded = await loadRecipe(recipeFile, path.join(repo, "output"));
    const run = createRunDir(path.join(tempDir("manifest-runs"), "runs"), loaded.recipe.name);
    runDir = run.dir;
    const rendered = renderRecipe(loaded.resolved, loaded.trl, TRELLIS_VERSION, {
      specDir: run.scriptsDir,
      ownDir: run.dir,
    });
    await writeInitialManifest({
      runDir,
      recipeFile,
      recipeText: loaded.text,
      resolved: loaded.resolved,
      rendered,
      python: "python3",
      venv: "/nowhere",
      lockSha256: "lock",
      extras: [],
    });
  });

  it("records the recipe, its scripts, its data, the commit and the environment", () => {
    const m = manifest();
    assert.equal(m.manifest_version, 1);
    assert.equal(m.trellis_version, TRELLIS_VERSION);
    assert.equal(m.recipe.file, recipeFile);
    assert.equal(m.recipe.sha256, sha256(readFileSync(recipeFile, "utf8")));
    assert.deepEqual(m.git, { repo: m.git.repo, commit, dirty: false });
    assert.deepEqual(
      m.data.files.map((f: { file: string }) => path.basename(f.file)),
      ["colors-train.jsonl", "colors-eval.jsonl"],
    );
    for (const f of m.data.files) assert.match(f.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      m.scripts.map((s: { stage: string; file: string }) => [s.stage, s.file]),
      [["orpo", "scripts/stage-1-orpo.py"]],
    );
    assert.equal(m.seeds.recipe, 42);
    assert.equal(typeof m.environment.python, "string");
    assert.equal(typeof m.environment.packages, "object");
    assert.ok("driver" in m.environment);
    assert.equal(m.status, "running");
    assert.equal(m.ended_at, null);
  });

  it("is read back by reproduce, and says what changed on this machine since", async () => {
    const recorded = readManifest(runDir);
    assert.deepEqual(await whatChanged(recorded, "python3"), [], "the same data, packages and GPUs");
    appendFileSync(path.join(repo, "data", "colors-train.jsonl"), "\n");
    rmSync(path.join(repo, "data", "colors-eval.jsonl"));
    const changes = await whatChanged(recorded, "python3");
    assert.equal(changes.length, 2, changes.join("\n"));
    assert.match(changes[0]!, /data file .*colors-train\.jsonl changed: sha256 [0-9a-f]{12}… then/);
    assert.match(changes[1]!, /data file .*colors-eval\.jsonl is gone/);
    assert.throws(() => readManifest(repo), /has no manifest\.json/);
  });

  it("is completed with the outcome, the models and the plan each stage used", async () => {
    await finalizeManifest(
      runDir,
      [
        {
          type: "provenance",
          seq: 7,
          time: 1,
          stage: "orpo",
          model: { name: "tiny", revision: null },
          datasets: [{ name: "colors", revision: "abc" }],
          plan: { micro_batch: 8 },
        },
      ],
      { status: "finished", exitCode: 0 },
    );
    const m = manifest();
    assert.equal(m.status, "finished");
    assert.equal(m.exit_code, 0);
    assert.ok(Date.parse(m.ended_at) > 0);
    assert.deepEqual(m.models, [{ stage: "orpo", name: "tiny", revision: null }]);
    assert.deepEqual(m.data.hub, [{ stage: "orpo", name: "colors", revision: "abc" }]);
    assert.deepEqual(m.plan, [{ stage: "orpo", micro_batch: 8 }]);
    assert.equal(m.git.commit, commit, "what was recorded at the start stays");
  });
});
