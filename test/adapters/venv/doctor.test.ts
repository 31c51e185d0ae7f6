// doctor against real venvs: one built from a one-package lock, then checked against that lock and another.
import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { doctor, ensureEnvironment, formatDoctor, KEY_PACKAGES } from "../../../src/adapters/venv/index.js";
import { tempLock } from "../../helpers/temp-lock.js";

let tmp: string;
let cacheDir: string;
let lockFile: string;
let venvDir: string;

before(async () => {
  ({ tmp, cacheDir, lockFile } = await tempLock("trellis-doctor-", "six==1.16.0\n"));
  venvDir = path.join(tmp, "venv");
  await ensureEnvironment({ lockFile, cacheDir, venvDir });
});

after(() => rm(tmp, { recursive: true, force: true }));

test("doctor reports trl and the other TRL packages missing from a venv that lacks them", async () => {
  const report = await doctor({ lockFile, cacheDir, venvDir });
  assert.equal(report.venv.ok, true);
  assert.equal(report.python.path, path.join(venvDir, "bin", "python"));
  assert.match(report.python.version, /^3\.\d+\.\d+/);
  assert.deepEqual(
    report.packages.map((p) => p.name),
    [...KEY_PACKAGES],
  );
  assert.deepEqual(
    report.packages.find((p) => p.name === "trl"),
    { name: "trl", status: "missing" },
  );
  assert.deepEqual(report.torch, { cuda: false, gpus: [] });
  assert.ok(
    report.problems.some((p) => p.startsWith("trl is not installed")),
    report.problems.join("\n"),
  );
});

test("doctor reports a pin that differs from what is installed", async () => {
  const otherLock = path.join(tmp, "other.lock");
  await writeFile(otherLock, "six==1.17.0\n");
  const report = await doctor({ lockFile: otherLock, cacheDir, venvDir });
  assert.equal(report.venv.ok, false, "built from another lock");
  assert.deepEqual(
    report.packages.find((p) => p.name === "six"),
    { name: "six", wanted: "1.17.0", found: "1.16.0", status: "mismatch" },
  );
  assert.ok(report.problems.some((p) => p.includes("six 1.16.0 is installed but the lock pins 1.17.0")));
  assert.ok(report.problems.some((p) => p.includes("built from another lock")));
});

test("doctor without a venv says how to create one", async () => {
  const report = await doctor({ lockFile, cacheDir, venvDir: path.join(tmp, "nothing-here") });
  assert.equal(report.venv.ok, false);
  assert.ok(report.packages.every((p) => p.status === "missing"));
  assert.deepEqual(report.problems, [
    `no Python environment at ${path.join(tmp, "nothing-here")}: run \`trellis env setup\``,
  ]);
});

test("formatDoctor aligns a table with marks and one line per problem", async () => {
  const report = await doctor({ lockFile, cacheDir, venvDir });
  const plain = formatDoctor(report, { color: false });
  assert.doesNotMatch(plain, /\u001b\[/);
  assert.match(plain, /^✓ python +3\.\d+\.\d+ +\S+bin\/python$/m);
  assert.match(plain, /^✗ trl +missing +not pinned$/m);
  assert.match(plain, /^✗ trl is not installed and .* does not pin it: add it to the lock$/m);
  const rows = plain.split("\n").slice(0, 2 + KEY_PACKAGES.length);
  const valueColumn = new Set(rows.map((row) => row.search(/ {2}\S/)));
  assert.equal(valueColumn.size, 1, `columns line up:\n${rows.join("\n")}`);
  assert.match(formatDoctor(report, { color: true }), /\u001b\[31m✗\u001b\[0m trl/);
  assert.match(formatDoctor(report, { color: false, ascii: true }), /^!! trl/m);
});
