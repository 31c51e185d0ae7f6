/**
 * A real planner probe: the stage's script rendered with the candidate batch fields, run as a
 * fresh process in probe mode (TRELLIS_PROBE) for a few optimizer steps on the longest
 * examples; peak memory and tokens/s come back as a probe_result event.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { decodeStageEvent } from "../core/events/protocol.js";
import type { BatchConfig, ProbeOutcome } from "../core/plan/search.js";
import type { RenderedStage } from "../core/render/render.js";
import { writeScripts } from "./run-dir.js";

/** Optimizer steps per probe: the first warms up, the others are measured. */
const PROBE_STEPS = 3;
const OOM_TYPES = new Set(["OutOfMemoryError", "torch.OutOfMemoryError"]);

export async function runProbe(
  python: string,
  render: (c: BatchConfig) => RenderedStage,
  c: BatchConfig,
): Promise<ProbeOutcome> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "trellis-probe-"));
  try {
    const stage = render(c);
    writeScripts(dir, [stage]);
    const eventsFile = path.join(dir, "events.jsonl");
    const result = await execa(python, [path.join(dir, stage.script.name)], {
      cwd: dir,
      reject: false,
      buffer: false,
      stdio: "ignore",
      env: {
        TRELLIS_PROBE: JSON.stringify({ steps: PROBE_STEPS }),
        TRELLIS_EVENTS_FILE: eventsFile,
        PYTHONUNBUFFERED: "1",
        // Sizes change from probe to probe: fewer allocator slivers (PyTorch's CUDA notes).
        PYTORCH_CUDA_ALLOC_CONF: "expandable_segments:True",
      },
    });
    let text = "";
    try {
      text = readFileSync(eventsFile, "utf8");
    } catch {
      /* no events: reported below from the exit code */
    }
    for (const line of text.split("\n")) {
      const d = line ? decodeStageEvent(line) : null;
      if (!d?.ok) continue;
      const e = d.event;
      if (e.type === "probe_result" && e.peak_bytes !== null && e.capacity_bytes !== null && e.tokens_per_s !== null) {
        return { kind: "ok", tokensPerSec: e.tokens_per_s, peakBytes: [e.peak_bytes], capacityBytes: e.capacity_bytes };
      }
      if (e.type === "error") {
        return OOM_TYPES.has(e.exc_type) || /out of memory/i.test(e.exc_type)
          ? { kind: "oom", message: e.message }
          : { kind: "error", message: `${e.exc_type}: ${e.message}` };
      }
    }
    return { kind: "error", message: `the probe exited with ${result.exitCode ?? result.signal} and reported nothing` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
