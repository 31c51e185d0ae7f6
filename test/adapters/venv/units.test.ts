// Fast checks of the pure parts of the venv adapter (lock parsing, key, pip progress) and of the dir lock.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { execa } from "execa";
import { createProgressPrinter, formatProgress } from "../../../src/app/env.js";
import { clock } from "../../../src/core/clock.js";
import { withFolderMutex } from "../../../src/adapters/venv/folder-mutex.js";
import { check } from "../../../src/adapters/venv/doctor.js";
import {
  environmentKey,
  parsePins,
  stripLocalVersion,
  withoutPackage,
} from "../../../src/adapters/venv/requirements-lock.js";
import { createPipProgress, LINKING } from "../../../src/adapters/venv/pip-progress.js";

const made: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "trellis-lock-"));
  made.push(dir);
  return dir;
}
after(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))));

const LOCK = "# comment\naccelerate==1.15.0\n\nJinja2==3.1.6\ntorch==2.13.0\ntyping_extensions==4.16.0\n";

test("parsePins reads name==version lines and skips comments", () => {
  assert.deepEqual(
    parsePins(LOCK).map((p) => `${p.name}@${p.version}`),
    ["accelerate@1.15.0", "Jinja2@3.1.6", "torch@2.13.0", "typing_extensions@4.16.0"],
  );
});

test("withoutPackage drops only torch's pin", () => {
  const rest = withoutPackage(LOCK, "Torch");
  assert.deepEqual(
    parsePins(rest).map((p) => p.name),
    ["accelerate", "Jinja2", "typing_extensions"],
  );
  assert.match(rest, /# comment/);
});

test("environmentKey is 16 hex digits and changes with each input", () => {
  const base = { lockText: LOCK, pythonVersion: "3.11.7", platform: "linux-x86_64", torchMode: "locked" };
  const key = environmentKey(base);
  assert.match(key, /^[0-9a-f]{16}$/);
  assert.equal(environmentKey({ ...base }), key);
  for (const change of [
    { lockText: `${LOCK}six==1.16.0\n` },
    { pythonVersion: "3.12.1" },
    { platform: "macosx-14-arm64" },
    { torchMode: "reuse:/x/bin/python" },
  ]) {
    assert.notEqual(environmentKey({ ...base, ...change }), key, JSON.stringify(change));
  }
});

test("torch versions compare without their local build tag", () => {
  assert.equal(stripLocalVersion("2.13.0+cu130"), "2.13.0");
  assert.equal(check("torch", "2.13.0", "2.13.0+cpu").status, "ok");
  assert.equal(check("torch", "2.13.0", "2.12.0+cpu").status, "mismatch");
  assert.equal(check("trl", "1.13.0", "1.13.0+local").status, "mismatch");
  assert.equal(check("trl", "1.13.0", undefined).status, "missing");
  assert.equal(check("torch", undefined, "2.11.0+cu130").status, "ok");
});

test("pip progress counts Collecting/Processing lines against the pins, with an ETA", () => {
  const progress = createPipProgress(4, 0);
  const lines = [
    "Looking in indexes: https://pypi.org/simple",
    "Collecting six==1.16.0 (from -r /tmp/l (line 1))",
    "  Downloading six-1.16.0-py2.py3-none-any.whl (11 kB)",
    "Processing /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl",
    "Processing ./wh/charset-normalizer-3.5.3.tar.gz",
    "Requirement already satisfied: packaging==26.4 in ./lib",
    "Installing collected packages: six, torch",
  ];
  const reports = lines.map((line, i) => progress(line, (i + 1) * 1000)).filter((r) => r !== undefined);
  assert.deepEqual(
    reports.map((r) => [r.done, r.current, r.etaSeconds]),
    [
      [1, "six", 6],
      [2, "torch", 4],
      [3, "charset-normalizer", 2],
      [4, "packaging", 0],
      [4, LINKING, undefined],
    ],
  );
});

test("progress lines read as the CLI prints them", () => {
  assert.equal(
    formatProgress({ phase: "install", done: 12, total: 65, current: "torch", etaSeconds: 41 }),
    "installing 12/65 packages (torch) eta 0:41",
  );
  assert.equal(clock(125), "2:05");
  const written: string[] = [];
  let now = 0;
  const tty = createProgressPrinter({ isTTY: true, write: (t: string) => written.push(t) }, () => now);
  tty.update({ phase: "install", done: 1, total: 2, current: "six" });
  tty.update({ phase: "install", done: 2, total: 2, current: "x" }); // Within the redraw interval: skipped.
  now = 1000;
  tty.update({ phase: "install", done: 2, total: 2, current: LINKING });
  now = 43_000;
  tty.tick(); // pip is silent while it writes files: the clock keeps the line alive.
  tty.update({ phase: "done", done: 2, total: 2 });
  tty.finish();
  assert.deepEqual(written, [
    "\rinstalling 1/2 packages (six)\u001b[K",
    "\rinstalling 2/2 packages (writing files) 0:00\u001b[K",
    "\rinstalling 2/2 packages (writing files) 0:42\u001b[K",
    "\rinstalled 2 packages\u001b[K",
    "\n",
  ]);
  const plain: string[] = [];
  now = 0;
  const log = createProgressPrinter({ write: (t: string) => plain.push(t) }, () => now);
  log.update({ phase: "create", done: 0, total: 2 });
  log.update({ phase: "install", done: 1, total: 2, current: "six", etaSeconds: 3 });
  now = 1_000;
  log.update({ phase: "install", done: 2, total: 2, current: "x" }); // Less than PLAIN_LINE_MS later: skipped.
  log.finish();
  assert.deepEqual(plain, ["creating the virtual environment\n", "installing 1/2 packages (six) eta 0:03\n"]);
});

test("folder mutex: a second holder waits for the first", async () => {
  const dir = await tempDir();
  const order: string[] = [];
  const first = withFolderMutex(
    path.join(dir, "v"),
    async () => {
      order.push("first in");
      await new Promise((r) => setTimeout(r, 300));
      order.push("first out");
    },
    { pollMs: 20 },
  );
  await new Promise((r) => setTimeout(r, 50));
  await withFolderMutex(path.join(dir, "v"), async () => void order.push("second"), { pollMs: 20 });
  await first;
  assert.deepEqual(order, ["first in", "first out", "second"]);
  assert.deepEqual(await readdir(dir), [], "the lock folder is removed after use");
});

test("folder mutex: a lock left by a dead process is taken over", async () => {
  const dir = await tempDir();
  const child = execa(process.execPath, ["-e", ""]);
  await child;
  const deadPid = child.pid;
  assert.ok(deadPid);
  await mkdir(path.join(dir, "v.lock"));
  await writeFile(
    path.join(dir, "v.lock", "owner.json"),
    JSON.stringify({ pid: deadPid, host: hostname(), token: "old" }),
  );
  assert.equal(await withFolderMutex(path.join(dir, "v"), async () => "got it", { pollMs: 20 }), "got it");
});

test("folder mutex: waiting stops when the signal aborts", async () => {
  const dir = await tempDir();
  await mkdir(path.join(dir, "v.lock"));
  await writeFile(
    path.join(dir, "v.lock", "owner.json"),
    JSON.stringify({ pid: process.pid, host: hostname(), token: "live" }),
  );
  await assert.rejects(
    withFolderMutex(path.join(dir, "v"), async () => "never", { pollMs: 20, signal: AbortSignal.timeout(100) }),
  );
});
