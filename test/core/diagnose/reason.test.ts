import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StageProcessResult } from "../../../src/adapters/stage-process.js";
import { diagnoseStage, failureReason } from "../../../src/app/failure.js";

const result = (r: Partial<StageProcessResult>): StageProcessResult => ({
  exitCode: 1,
  signal: null,
  stderrTail: [],
  stopped: false,
  ...r,
});
const stage = { id: "orpo", trainer: "orpo" };

describe("failureReason", () => {
  it("the exception, then the cause and the fix, on one line", () => {
    const error = {
      excType: "torch.OutOfMemoryError",
      message: "CUDA out of memory. Tried to allocate 2.00 GiB\nmore detail",
    };
    const reason = failureReason("orpo", result({}), error, diagnoseStage(stage, result({}), error));
    assert.match(
      reason,
      /^stage 'orpo' failed: torch\.OutOfMemoryError: CUDA out of memory\. Tried to allocate 2\.00 GiB — the GPU ran out of memory\. Fix: lower per_device_train_batch_size .*peft:/,
    );
    assert.equal(reason.split("\n").length, 1);
  });
  it("works out the diagnosis itself when not given one (the old signature)", () => {
    assert.match(
      failureReason("dpo", result({}), { excType: "KeyError", message: "'rejected'" }),
      /^stage 'dpo' failed: KeyError: 'rejected' — the data has no column 'rejected'\. Fix: map the column/,
    );
  });
  it("a signal: named once, with the cause and the fix", () => {
    const killed = result({ exitCode: null, signal: "SIGKILL" });
    assert.match(
      failureReason("orpo", killed, null, diagnoseStage(stage, killed, null)),
      /^stage 'orpo' failed: the Python process was killed by SIGKILL, without a Python error: probably the kernel's out-of-memory killer .*\. Fix: check `dmesg`/,
    );
  });
  it("a failure no rule knows keeps the plain line", () => {
    assert.equal(
      failureReason("orpo", result({}), { excType: "ValueError", message: "odd" }, null),
      "stage 'orpo' failed: ValueError: odd",
    );
    assert.equal(
      failureReason("orpo", result({ stderrTail: ["", "last words", ""] }), null, null),
      "stage 'orpo' exited with code 1: last words",
    );
  });
  it("a stopped stage is not diagnosed", () => {
    const stopped = result({ exitCode: null, signal: "SIGINT", stopped: true });
    assert.equal(diagnoseStage(stage, stopped, null), undefined);
    assert.equal(failureReason("orpo", stopped, null), "stage 'orpo' was stopped");
  });
});

describe("diagnoseStage", () => {
  it("reads offline from the environment it is given", () => {
    const error = {
      excType: "OSError",
      message: "We couldn't connect to 'https://huggingface.co' to load the files",
      causeTypes: ["huggingface_hub.errors.LocalEntryNotFoundError"],
    };
    assert.match(diagnoseStage(stage, result({}), error, { env: { HF_HUB_OFFLINE: "1" } })!.summary, /offline/);
    assert.doesNotMatch(diagnoseStage(stage, result({}), error, { env: {} })!.summary, /offline/);
  });
  it("passes errno and the last loss through", () => {
    assert.equal(
      diagnoseStage(stage, result({}), { excType: "OSError", message: "x", errno: 28 }, { env: {} })?.cause,
      "disk_full",
    );
    assert.equal(
      diagnoseStage(stage, result({}), { excType: "RuntimeError", message: "x" }, { env: {}, lastLoss: NaN })?.cause,
      "nan_loss",
    );
  });
  it("a finished stage has nothing to diagnose", () => {
    assert.equal(diagnoseStage(stage, result({ exitCode: 0 }), null), undefined);
  });
});
