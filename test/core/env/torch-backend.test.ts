import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  chooseBackend,
  cudaFitProblem,
  driverRuns,
  isTorchRuntimePackage,
} from "../../../src/core/env/torch-backend.js";
import { parseSmiHeader } from "../../../src/adapters/venv/driver.js";
import { filterPins, torchIndexOf } from "../../../src/adapters/venv/requirements-lock.js";

describe("torch backend", () => {
  it("auto picks cpu without a driver, else the newest CUDA build the driver runs", () => {
    assert.equal(chooseBackend(undefined).backend, "cpu");
    assert.equal(chooseBackend("13.1").backend, "cu130");
    assert.equal(chooseBackend("13.0").backend, "cu130");
    assert.equal(chooseBackend("12.9").backend, "cu128");
    assert.equal(chooseBackend("12.6").backend, "cu126");
    assert.equal(chooseBackend("11.8").backend, "cpu");
    assert.match(chooseBackend("11.8").why, /older than every CUDA build/);
  });
  it("keeps to the backends that have a lock", () => {
    assert.equal(chooseBackend("12.8", ["cpu", "cu130"]).backend, "cpu");
    assert.equal(chooseBackend("13.0", ["cpu", "cu130"]).backend, "cu130");
  });
  it("tells whether torch's CUDA build runs on the driver, with the fix", () => {
    assert.equal(driverRuns("13.0", "13.0"), true);
    assert.equal(driverRuns("12.4", "13.0"), false);
    assert.equal(driverRuns("12.4", "12.8"), false); // not counting on minor version compatibility
    assert.equal(driverRuns("13.1", "12.8"), true);
    assert.equal(cudaFitProblem(undefined, "13.0"), undefined);
    assert.equal(cudaFitProblem("13.0", "13.0"), undefined);
    assert.match(
      cudaFitProblem("12.8", "13.0")!,
      /torch is built for CUDA 13\.0 but the NVIDIA driver supports only CUDA 12\.8: run `trellis env setup --torch-backend cu128`/,
    );
    assert.match(
      cudaFitProblem("13.0", undefined)!,
      /torch is a CPU build: run `trellis env setup --torch-backend auto`/,
    );
  });
  it("reads nvidia-smi's header", () => {
    assert.deepEqual(
      parseSmiHeader("| NVIDIA-SMI 580.65.06    Driver Version: 580.65.06    CUDA Version: 13.0     |"),
      { cuda: "13.0", driver: "580.65.06" },
    );
    assert.equal(
      parseSmiHeader("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."),
      undefined,
    );
  });
  it("a borrowed torch leaves out torch and its CUDA packages only", () => {
    const lock =
      "# torch index: https://download.pytorch.org/whl/cu128\naccelerate==1.15.0\ntorch==2.13.0\nnvidia-cublas==13.1.1.3\ncuda-bindings==13.5.0\ntriton==3.7.1\nsympy==1.14.0\n";
    assert.equal(torchIndexOf(lock), "https://download.pytorch.org/whl/cu128");
    assert.equal(torchIndexOf("torch==2.13.0\n"), undefined);
    assert.equal(
      filterPins(lock, (n) => !isTorchRuntimePackage(n)),
      "# torch index: https://download.pytorch.org/whl/cu128\naccelerate==1.15.0\nsympy==1.14.0\n",
    );
  });
});
