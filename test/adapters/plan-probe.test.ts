import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { fileCache } from "../../src/adapters/plan-cache.js";
import { runProbe } from "../../src/adapters/plan-probe.js";
import type { Plan } from "../../src/core/plan/search.js";
import type { RenderedStage } from "../../src/core/render/render.js";

/** A stand-in stage script: writes the event lines it is given to TRELLIS_EVENTS_FILE. */
function scriptWriting(lines: object[], exitCode = 0): () => RenderedStage {
  const text = `import json, os, sys
with open(os.environ["TRELLIS_EVENTS_FILE"], "a") as f:
    for e in json.loads(${JSON.stringify(JSON.stringify(lines))}):
        f.write(json.dumps(e) + "\\n")
assert json.loads(os.environ["TRELLIS_PROBE"])["steps"] == 3
sys.exit(${exitCode})
`;
  return () =>
    ({
      id: "s",
      trainer: "orpo",
      script: { name: "stage-1-s.py", text },
      spec: { name: "stage-1-s.json", value: {} },
    }) as unknown as RenderedStage;
}

const config = { microBatch: 8, accumulation: 1, gradientCheckpointing: false, precomputeRef: false };

describe("planner probe (a real process)", () => {
  it("reads peak memory and tokens/s from probe_result", async () => {
    const render = scriptWriting([
      {
        type: "probe_result",
        time: 1,
        stage: "s",
        peak_bytes: 5e9,
        capacity_bytes: 8e10,
        tokens_per_s: 41050,
        steps: 3,
      },
    ]);
    assert.deepEqual(await runProbe("python3", render, config), {
      kind: "ok",
      tokensPerSec: 41050,
      peakBytes: [5e9],
      capacityBytes: 8e10,
    });
  });

  it("an OutOfMemoryError is a size that does not fit; another exception is an error", async () => {
    const oom = scriptWriting(
      [{ type: "error", time: 1, stage: "s", exc_type: "OutOfMemoryError", message: "CUDA out of memory" }],
      1,
    );
    assert.equal((await runProbe("python3", oom, config)).kind, "oom");
    const bug = scriptWriting([{ type: "error", time: 1, stage: "s", exc_type: "KeyError", message: "'rejected'" }], 1);
    assert.deepEqual(await runProbe("python3", bug, config), { kind: "error", message: "KeyError: 'rejected'" });
    const silent = scriptWriting([], 3);
    assert.equal((await runProbe("python3", silent, config)).kind, "error");
  });
});

describe("plan cache on disk", () => {
  it("returns a stored plan for the same key only", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "trellis-plans-"));
    try {
      const cache = fileCache(dir);
      const plan = { effectiveBatch: 8 } as unknown as Plan;
      assert.equal(await cache.get("k"), null);
      await cache.set("k", plan);
      assert.deepEqual(await fileCache(dir).get("k"), plan);
      assert.equal(await cache.get("other"), null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
