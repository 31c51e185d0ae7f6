/** `--torch-backend` and TRELLIS_TORCH_BACKEND: a name that is not a backend, and a backend without a lock, are refused by name. */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { trellis, workspace } from "../helpers/cli.js";

describe("torch backend on the command line", () => {
  const ws = workspace("torch-backend");
  const env = { ...ws.env, TRELLIS_CACHE_DIR: path.join(ws.dir, "cache") };
  it("refuses a name that is not a backend, with the choices", async () => {
    const result = await trellis(["env", "setup", "--torch-backend", "gpu"], { cwd: ws.dir, env });
    assert.equal(result.exitCode, 2);
    assert.match(
      result.stderr,
      /--torch-backend 'gpu' is not a torch backend \(one of auto, cpu, cu126, cu128, cu130\)/,
    );
    const fromSetting = await trellis(["env", "doctor"], {
      cwd: ws.dir,
      env: { ...env, TRELLIS_TORCH_BACKEND: "rocm" },
    });
    assert.equal(fromSetting.exitCode, 2);
    assert.match(fromSetting.stderr, /TRELLIS_TORCH_BACKEND 'rocm' is not a torch backend/);
  });
  it("refuses a backend this trellis has no lock for, saying how to make one", async () => {
    const result = await trellis(["env", "setup", "--torch-backend", "cu128"], { cwd: ws.dir, env });
    assert.equal(result.exitCode, 3);
    assert.match(
      result.stderr,
      /there is no lock for torch backend cu128 \(.*requirements-cu128\.lock\): generate it with `python python\/tools\/make_locks\.py cu128`/,
    );
  });
  it("auto picks cpu where there is no NVIDIA driver; doctor says so", async () => {
    const result = await trellis(["env", "doctor", "--json"], {
      cwd: ws.dir,
      env: { ...env, PATH: path.dirname(process.execPath) + ":/usr/bin:/bin" },
    });
    const report = JSON.parse(result.stdout) as { torchBackend?: string; driver?: unknown };
    assert.equal(report.torchBackend, "cpu");
    assert.equal(report.driver, undefined);
  });
});
