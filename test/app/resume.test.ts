/** `trellis resume`'s plan over a stopped two-stage run made by hand: which stage, which checkpoint. */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeEach, describe, it } from "node:test";
import { readPreparedRun, writePreparedRun, type PreparedRun } from "../../src/app/prepared-run.js";
import { prepareResume } from "../../src/app/resume.js";
import { CHECKPOINT_MARKER } from "../../src/adapters/checkpoints.js";
import { sha256Text } from "../../src/adapters/hash.js";
import { lockSha256 } from "../../src/adapters/package-files.js";
import { fabricateRun, fabricateSupervisor, streamLines, tempDir } from "./run-dirs.js";

const RECIPE = "name: sft-dpo\n";
const dpoStarted = (l: string) => l.includes('"stage":"dpo","type":"stage_start"');

/** A checkpoint folder; `complete` writes trellis's marker with the true sizes of its files. */
function checkpoint(outputDir: string, step: number, complete: boolean): string {
  const dir = path.join(outputDir, `checkpoint-${step}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "model.safetensors"), "weights");
  if (complete) writeFileSync(path.join(dir, CHECKPOINT_MARKER), JSON.stringify({ files: { "model.safetensors": 7 } }));
  return dir;
}

describe("planning a resume", () => {
  let runDir: string;
  let recipeFile: string;
  let outputDir: string;
  const spec = () => JSON.parse(readFileSync(path.join(runDir, "scripts", "stage-2-dpo.json"), "utf8"));

  beforeEach(() => {
    const root = tempDir("resume");
    recipeFile = path.join(root, "sft-dpo.yaml");
    writeFileSync(recipeFile, RECIPE);
    runDir = fabricateRun(
      path.join(root, "runs"),
      "20261127-175044-sft-dpo-1a2b",
      streamLines("sft-dpo.jsonl", dpoStarted),
    );
    mkdirSync(path.join(runDir, "scripts"));
    outputDir = path.join(runDir, "output", "dpo");
    writeFileSync(
      path.join(runDir, "scripts", "stage-2-dpo.json"),
      JSON.stringify({ args: { output_dir: "../output/dpo" }, resume_from_checkpoint: "stale" }),
    );
    const prepared: PreparedRun = {
      runId: path.basename(runDir),
      runDir,
      recipeName: "sft-dpo",
      python: "python3",
      venv: "/nowhere",
      installed: false,
      stages: [
        { id: "sft", trainer: "sft", script: "stage-1-sft.py" },
        { id: "dpo", trainer: "dpo", script: "stage-2-dpo.py" },
      ],
      notices: [],
      host: "127.0.0.1",
      port: 0,
      allowOrigins: [],
      recipeFile,
      recipeSha256: sha256Text(RECIPE),
      lockSha256: lockSha256(),
    };
    writePreparedRun(prepared);
  });

  it("continues the unfinished stage from its newest complete checkpoint", async () => {
    checkpoint(outputDir, 4, true);
    checkpoint(outputDir, 6, false); // cut short: never loaded
    const resumed = await prepareResume(runDir);
    assert.deepEqual(resumed.resume, { stage: "dpo", checkpoint: path.join(outputDir, "checkpoint-4") });
    assert.deepEqual(
      resumed.notices.map((n) => n.code),
      ["checkpoint_skipped", "resumed"],
    );
    assert.match(resumed.notices[0]!.message, /skipping checkpoint-6: incomplete/);
    assert.match(resumed.notices[1]!.message, /resuming stage 'dpo' from checkpoint-4 \(step 4\)/);
    // The spec names the checkpoint relative to itself, so the run directory can move.
    assert.equal(spec().resume_from_checkpoint, "../output/dpo/checkpoint-4");
    assert.deepEqual(readPreparedRun(runDir).resume, resumed.resume);
  });

  it("starts the stage again when no checkpoint is complete", async () => {
    checkpoint(outputDir, 2, false);
    const resumed = await prepareResume(runDir);
    assert.deepEqual(resumed.resume, { stage: "dpo", checkpoint: null });
    assert.match(resumed.notices.at(-1)!.message, /no complete checkpoint of stage 'dpo'/);
    assert.equal(spec().resume_from_checkpoint, undefined);
  });

  it("refuses a changed recipe unless forced", async () => {
    writeFileSync(recipeFile, `${RECIPE}# edited\n`);
    await assert.rejects(prepareResume(runDir), {
      name: "ResumeError",
      message: /the recipe .* changed since the run started/,
    });
    const forced = await prepareResume(runDir, { force: true });
    assert.equal(forced.notices[0]!.code, "resume_forced");
    rmSync(recipeFile); // a recipe that is gone is not a changed one
    assert.equal((await prepareResume(runDir)).resume?.stage, "dpo");
  });

  it("refuses a run that is still running, and one with nothing left to do", async () => {
    fabricateSupervisor(runDir);
    await assert.rejects(prepareResume(runDir), { name: "ResumeError", message: /is still running: attach to it/ });
    rmSync(path.join(runDir, "supervisor.json"));
    writeFileSync(path.join(runDir, "events.jsonl"), streamLines("sft-dpo.jsonl").join("\n") + "\n");
    await assert.rejects(prepareResume(runDir), { message: /every stage of .* finished: nothing to resume/ });
  });
});
