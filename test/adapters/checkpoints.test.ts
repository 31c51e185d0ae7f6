/**
 * Which checkpoints a resume may load, from the marker the runtime writes
 * (python/trellis_runtime/checkpoint_digest.py): whole, undamaged, finite, ours.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { CHECKPOINT_MARKER, findCheckpoints } from "../../src/adapters/checkpoints.js";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

function checkpoint(out: string, step: number, marker: Record<string, unknown> | null, weights = "weights!"): string {
  const dir = path.join(out, `checkpoint-${step}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "model.safetensors"), weights);
  if (marker) writeFileSync(path.join(dir, CHECKPOINT_MARKER), JSON.stringify(marker));
  return dir;
}
const digested = (weights = "weights!", extra = {}) => ({
  format: 2,
  files: { "model.safetensors": { bytes: weights.length, sha256: sha(weights) } },
  ...extra,
});

describe("checkpoints a resume may load", () => {
  it("skips one damaged in place (same size, other bytes), one saved with NaN weights, one without a marker", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "trellis-checkpoints-"));
    checkpoint(out, 10, digested());
    checkpoint(out, 20, digested("weights!", { finite: false }));
    checkpoint(out, 30, digested(), "WEIGHTS!");
    checkpoint(out, 40, null);
    const found = await findCheckpoints(out);
    assert.deepEqual(
      found.map((c) => [c.step, c.problem]),
      [
        [40, `incomplete or not written by trellis (no ${CHECKPOINT_MARKER})`],
        [30, "model.safetensors does not match its recorded sha256 (damaged in place)"],
        [20, "its weights were NaN or infinite when it was saved"],
        [10, null],
      ],
    );
  });

  it("reads the sizes-only marker of an older trellis, and a truncated file by its size", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "trellis-checkpoints-"));
    checkpoint(out, 10, { files: { "model.safetensors": 8 } });
    checkpoint(out, 20, digested(), "short");
    const found = await findCheckpoints(out);
    assert.deepEqual(
      found.map((c) => [c.step, c.problem]),
      [
        [20, "model.safetensors is 5 bytes, expected 8 (truncated?)"],
        [10, null],
      ],
    );
  });
});
