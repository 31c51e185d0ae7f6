// Reusing another environment's torch. A base env holding a stand-in `torch` package exercises the same
// code path a CUDA torch takes (probe, .pth, lock minus torch, import check); a real torch is used when present.
import assert from "node:assert/strict";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { execa } from "execa";
import { doctor, ensureEnvironment, EnvironmentError } from "../../../src/adapters/venv/index.js";
import { tempLock } from "../../helpers/temp-lock.js";

const FAKE_TORCH = "9.9.9+fake";
/** A venv with torch 2.13 CPU that exists on some dev machines only; its test skips elsewhere. */
const REAL_TORCH_PYTHON = "/tmp/lockvenv/bin/python";
let tmp: string;
let lockFile: string;
let cacheDir: string;
let basePython: string;

before(async () => {
  // torch is pinned, as in the real lock: reuse mode must leave it out (or pip would fetch a real torch).
  ({ tmp, cacheDir, lockFile } = await tempLock("trellis-reuse-", "six==1.16.0\ntorch==2.13.0\n"));
  const base = path.join(tmp, "base");
  await execa("python3", ["-m", "venv", "--without-pip", base]);
  basePython = path.join(base, "bin", "python");
  const site = (
    await execa(basePython, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
  ).stdout.trim();
  await mkdir(path.join(site, "torch"));
  await writeFile(
    path.join(site, "torch", "__init__.py"),
    `__version__ = "${FAKE_TORCH}"\nfrom . import cuda, version\n`,
  );
  await writeFile(
    path.join(site, "torch", "cuda.py"),
    "def is_available():\n    return False\n\ndef device_count():\n    return 0\n",
  );
  await writeFile(path.join(site, "torch", "version.py"), "cuda = None\n");
  await mkdir(path.join(site, "torch-9.9.9+fake.dist-info"));
  await writeFile(
    path.join(site, "torch-9.9.9+fake.dist-info", "METADATA"),
    `Metadata-Version: 2.1\nName: torch\nVersion: ${FAKE_TORCH}\n`,
  );
});

after(() => rm(tmp, { recursive: true, force: true }));

test("a venv reusing another environment's torch imports it and installs the rest of the lock", async () => {
  const venvDir = path.join(tmp, "reuse");
  const result = await ensureEnvironment({ lockFile, cacheDir, venvDir, reuseTorchFrom: basePython });
  assert.equal(result.installed, true);
  assert.equal(result.torch?.version, FAKE_TORCH);
  assert.equal(result.torch?.cuda, false);
  const imported = await execa(result.python, ["-c", "import six, torch; print(six.__version__, torch.__version__)"]);
  assert.equal(imported.stdout.trim(), `1.16.0 ${FAKE_TORCH}`);
  assert.doesNotMatch(await readFile(path.join(venvDir, "trellis-requirements.lock"), "utf8"), /torch/);
  const marker = JSON.parse(await readFile(path.join(venvDir, "trellis-env.json"), "utf8"));
  assert.equal(marker.reuseTorchFrom, basePython);

  const locked = await doctor({ lockFile, cacheDir });
  assert.notEqual(locked.venv.key, result.key, "reusing torch makes a different environment than installing it");

  const again = await ensureEnvironment({ lockFile, cacheDir, venvDir, reuseTorchFrom: basePython });
  assert.equal(again.installed, false);

  const report = await doctor({ lockFile, cacheDir, venvDir, reuseTorchFrom: basePython });
  assert.equal(report.venv.ok, true);
  assert.deepEqual(
    report.packages.find((p) => p.name === "torch"),
    { name: "torch", found: FAKE_TORCH, status: "ok" },
  );
  assert.equal(report.torch.version, FAKE_TORCH);
  assert.ok(
    report.problems.some((p) => p.includes("sees no GPU")),
    report.problems.join("\n"),
  );
});

test("reusing from a python without torch fails before anything is built", async () => {
  const venvDir = path.join(tmp, "no-torch");
  const error = await ensureEnvironment({ lockFile, cacheDir, venvDir, reuseTorchFrom: "python3" }).catch(
    (e: unknown) => e,
  );
  assert.ok(error instanceof EnvironmentError, String(error));
  assert.match(error.message, /cannot reuse torch from .*ModuleNotFoundError/);
  await assert.rejects(stat(venvDir));
});

test(
  "a real torch is reused the same way",
  { skip: !(await stat(REAL_TORCH_PYTHON).catch(() => false)) && `${REAL_TORCH_PYTHON} is absent` },
  async () => {
    const venvDir = path.join(tmp, "real");
    const result = await ensureEnvironment({ lockFile, cacheDir, venvDir, reuseTorchFrom: REAL_TORCH_PYTHON });
    assert.match(result.torch?.version ?? "", /^2\.13\.0/);
    const imported = await execa(result.python, [
      "-c",
      "import torch; print(torch.__version__, torch.tensor([2.0]).sum().item())",
    ]);
    assert.equal(imported.stdout.trim(), `${result.torch?.version} 2.0`);
  },
);
