// ensureEnvironment against real python, real venvs and real pip, with a one-package lock so it takes seconds.
import assert from "node:assert/strict";
import { chmod, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { after, before, test } from "node:test";
import { execa } from "execa";
import { pino, type Logger } from "pino";
import {
  ensureEnvironment,
  EnvironmentError,
  installLogPath,
  type InstallProgress,
} from "../../../src/adapters/venv/index.js";
import { tempLock } from "../../helpers/temp-lock.js";

const SIX = "1.16.0";
let tmp: string;
let lockFile: string;
let cacheDir: string;
/** A base python that counts its own runs, to show a reused environment runs nothing. */
let countingPython: string;
let runsFile: string;

before(async () => {
  ({ tmp, cacheDir, lockFile } = await tempLock("trellis-venv-", `# test lock\nsix==${SIX}\n`));
  runsFile = path.join(tmp, "python-runs");
  countingPython = path.join(tmp, "counting-python");
  await writeFile(countingPython, `#!/bin/sh\necho run >> '${runsFile}'\nexec python3 "$@"\n`);
  await chmod(countingPython, 0o755);
});

after(() => rm(tmp, { recursive: true, force: true }));

async function sixVersion(python: string): Promise<string> {
  return (await execa(python, ["-c", "import six; print(six.__version__)"])).stdout.trim();
}

async function runs(): Promise<number> {
  return (await readFile(runsFile, "utf8").catch(() => "")).split("\n").filter(Boolean).length;
}

function capturingLogger(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      messages.push(String(JSON.parse(chunk.toString()).msg));
      done();
    },
  });
  return { logger: pino<never>({ level: "debug" }, sink), messages };
}

test("the first ensure installs the lock; the second finds it and runs nothing", async () => {
  const progress: InstallProgress[] = [];
  const first = await ensureEnvironment({
    lockFile,
    cacheDir,
    python: countingPython,
    onProgress: (p) => progress.push(p),
  });
  assert.equal(first.installed, true);
  assert.equal(first.dir, path.join(cacheDir, "venvs", first.key));
  assert.equal(await sixVersion(first.python), SIX);
  assert.deepEqual([...new Set(progress.map((p) => p.phase))], ["create", "install", "done"]);
  assert.ok(progress.some((p) => p.current === "six" && p.done === 1 && p.total === 1));

  const marker = path.join(first.dir, "trellis-env.json");
  const before = { marker: await stat(marker), log: await stat(installLogPath(first.dir)), runs: await runs() };
  const second = await ensureEnvironment({
    lockFile,
    cacheDir,
    python: countingPython,
    onProgress: (p) => progress.push(p),
  });
  assert.deepEqual(second, { ...first, installed: false });
  assert.equal(await runs(), before.runs, "the base python did not run");
  assert.equal((await stat(marker)).mtimeMs, before.marker.mtimeMs, "the marker is untouched");
  assert.equal((await stat(installLogPath(first.dir))).mtimeMs, before.log.mtimeMs, "pip did not run");
  assert.equal(progress.at(-1)?.phase, "done");
  const recorded = JSON.parse(await readFile(marker, "utf8"));
  assert.equal(recorded.key, first.key);
  assert.equal(recorded.reuseTorchFrom, null);
});

test("a venv without its marker is deleted and rebuilt", async () => {
  const first = await ensureEnvironment({ lockFile, cacheDir });
  await rm(path.join(first.dir, "trellis-env.json"));
  await writeFile(path.join(first.dir, "leftover"), "from a build that died");
  const { logger, messages } = capturingLogger();
  const again = await ensureEnvironment({ lockFile, cacheDir, logger });
  assert.equal(again.installed, true);
  assert.ok(messages.includes("found an incomplete environment, rebuilding"), messages.join(" | "));
  await assert.rejects(stat(path.join(first.dir, "leftover")));
  assert.equal(await sixVersion(again.python), SIX);
});

test("two processes ensuring one folder at once both succeed and only one installs", async () => {
  const venvDir = path.join(tmp, "concurrent");
  const adapter = new URL("../../../src/adapters/venv/index.js", import.meta.url).href;
  const script = `const { ensureEnvironment } = await import(${JSON.stringify(adapter)});
    const r = await ensureEnvironment(${JSON.stringify({ lockFile, cacheDir, venvDir })});
    console.log(JSON.stringify(r));`;
  const run = () => execa(process.execPath, ["--input-type=module", "-e", script]);
  const results = (await Promise.all([run(), run()])).map(
    (r) => JSON.parse(r.stdout) as { installed: boolean; python: string },
  );
  assert.deepEqual(results.map((r) => r.installed).sort(), [false, true]);
  assert.equal(results[0]?.python, results[1]?.python);
  assert.equal(await sixVersion(results[0]?.python ?? ""), SIX);
  await assert.rejects(stat(`${venvDir}.lock`), "the lock is released");
});

test("a wheelhouse installs offline with --no-index", async () => {
  const wheelhouse = path.join(tmp, "wheels");
  await execa("python3", [
    "-m",
    "pip",
    "download",
    "--no-deps",
    "--disable-pip-version-check",
    `six==${SIX}`,
    "-d",
    wheelhouse,
  ]);
  const venvDir = path.join(tmp, "offline");
  const result = await ensureEnvironment({ lockFile, cacheDir, venvDir, wheelhouse });
  assert.equal(result.installed, true);
  assert.equal(await sixVersion(result.python), SIX);
  const log = await readFile(installLogPath(venvDir), "utf8");
  assert.match(log, /--no-index --find-links \S*wheels/);
  assert.match(log, /Processing \S*wheels\/six-1\.16\.0/);
  assert.equal(JSON.parse(await readFile(path.join(venvDir, "trellis-env.json"), "utf8")).wheelhouse, wheelhouse);
});

test("a failed install throws EnvironmentError with pip's last lines and leaves no marker", async () => {
  const venvDir = path.join(tmp, "failing");
  const empty = path.join(tmp, "empty-wheelhouse");
  const error = await ensureEnvironment({ lockFile, cacheDir, venvDir, wheelhouse: empty }).catch((e: unknown) => e);
  assert.ok(error instanceof EnvironmentError, String(error));
  assert.equal(error.commandExitCode, 1);
  assert.equal(error.isCanceled, false);
  assert.equal(error.logPath, installLogPath(venvDir));
  assert.match(error.message, /^installing the Python packages failed \(exited with code 1\); full log: /);
  assert.match(error.message, /No matching distribution found for six==1\.16\.0/);
  await assert.rejects(stat(path.join(venvDir, "trellis-env.json")));
});

test("aborting stops the build, and the next ensure builds it again", async () => {
  const venvDir = path.join(tmp, "aborted");
  const controller = new AbortController();
  const onProgress = (p: InstallProgress) => {
    if (p.phase === "create") controller.abort();
  };
  const error = await ensureEnvironment({ lockFile, cacheDir, venvDir, onProgress, signal: controller.signal }).catch(
    (e: unknown) => e,
  );
  assert.ok(error instanceof EnvironmentError && error.isCanceled, String(error));
  assert.equal(error.exitCode, 130);
  await assert.rejects(stat(`${venvDir}.lock`), "the lock is released");
  const again = await ensureEnvironment({ lockFile, cacheDir, venvDir });
  assert.equal(again.installed, true);
});

test("a folder trellis did not make is never deleted", async () => {
  const venvDir = path.join(tmp, "someone-elses");
  await execa("mkdir", ["-p", venvDir]);
  await writeFile(path.join(venvDir, "precious"), "keep me");
  await assert.rejects(ensureEnvironment({ lockFile, cacheDir, venvDir }), /was not made by trellis/);
  assert.equal(await readFile(path.join(venvDir, "precious"), "utf8"), "keep me");
});
