// Extras venvs against real python, real venvs and real pip: a one-package base lock and a one-package extra, so it takes seconds.
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { rm } from "node:fs/promises";
import { execa } from "execa";
import {
  doctor,
  ensureEnvironment,
  EnvironmentError,
  formatDoctor,
  extrasKey,
  installLogPath,
  type ExtraLock,
  type InstallProgress,
} from "../../../src/adapters/venv/index.js";
import { environmentKey, torchMode } from "../../../src/adapters/venv/requirements-lock.js";
import { probeBasePython } from "../../../src/adapters/venv/python-info.js";
import { findExecutable } from "../../../src/adapters/venv/paths.js";
import { tempLock } from "../../helpers/temp-lock.js";

const BASE_LOCK = "# test base\nsix==1.16.0\n";
const IDNA: ExtraLock = { name: "idna-extra", lockText: "# test extra\nidna==3.20\n", requires: ["idna"] };
const ATTRS: ExtraLock = { name: "attrs-extra", lockText: "attrs==26.1.0\n", requires: ["attrs"] };
let tmp: string;
let lockFile: string;
let cacheDir: string;

before(async () => {
  ({ tmp, cacheDir, lockFile } = await tempLock("trellis-extras-", BASE_LOCK));
});
after(() => rm(tmp, { recursive: true, force: true }));

const imports = async (python: string, code: string) => (await execa(python, ["-c", code])).stdout.trim();

test("without extras the key is the base key, computed exactly as before extras existed", async () => {
  const plain = await ensureEnvironment({ lockFile, cacheDir });
  const none = await ensureEnvironment({ lockFile, cacheDir, extras: [] });
  assert.deepEqual(none, { ...plain, installed: false });
  const python = (await findExecutable("python3"))!;
  const base = await probeBasePython(python, cacheDir);
  assert.equal(
    plain.key,
    environmentKey({
      lockText: BASE_LOCK,
      pythonVersion: base.version,
      platform: base.platform,
      torchMode: torchMode(undefined),
    }),
  );
  assert.equal(extrasKey(plain.key, []), plain.key);
  assert.equal(plain.extras, undefined);
});

test("an extras venv installs only the extra, sees the base's packages, and is reused after", async () => {
  const base = await ensureEnvironment({ lockFile, cacheDir });
  const progress: InstallProgress[] = [];
  const first = await ensureEnvironment({ lockFile, cacheDir, extras: [IDNA], onProgress: (p) => progress.push(p) });
  assert.equal(first.installed, true);
  assert.notEqual(first.key, base.key);
  assert.equal(first.dir, path.join(cacheDir, "venvs", first.key));
  assert.deepEqual(first.extras, ["idna-extra"]);
  assert.equal(first.base, base.dir);
  // six comes from the base venv, idna from the extras venv's own site-packages.
  const where = JSON.parse(
    await imports(first.python, "import json, six, idna; print(json.dumps([six.__file__, idna.__file__]))"),
  ) as string[];
  assert.ok(where[0]!.startsWith(base.dir), where[0]);
  assert.ok(where[1]!.startsWith(first.dir), where[1]);
  const log = await readFile(installLogPath(first.dir), "utf8");
  assert.doesNotMatch(log, /six/, "the base's packages are not installed again");
  assert.ok(
    progress.some((p) => p.current === "idna" && p.total === 1),
    JSON.stringify(progress),
  );
  assert.deepEqual([...new Set(progress.map((p) => p.phase))], ["create", "install", "done"]);
  const marker = JSON.parse(await readFile(path.join(first.dir, "trellis-env.json"), "utf8"));
  assert.deepEqual([marker.key, marker.base, marker.extras], [first.key, base.dir, ["idna-extra"]]);

  const markerTime = (await stat(path.join(first.dir, "trellis-env.json"))).mtimeMs;
  const again = await ensureEnvironment({ lockFile, cacheDir, extras: [IDNA] });
  assert.deepEqual(again, { ...first, installed: false });
  assert.equal((await stat(path.join(first.dir, "trellis-env.json"))).mtimeMs, markerTime, "nothing was rebuilt");
});

test("the same extras in any order share one venv; another set gets its own", async () => {
  const ab = await ensureEnvironment({ lockFile, cacheDir, extras: [IDNA, ATTRS] });
  const ba = await ensureEnvironment({ lockFile, cacheDir, extras: [ATTRS, IDNA] });
  assert.equal(ba.dir, ab.dir);
  assert.equal(ba.installed, false);
  assert.deepEqual(ab.extras, ["attrs-extra", "idna-extra"]);
  const only = await ensureEnvironment({ lockFile, cacheDir, extras: [IDNA] });
  assert.notEqual(only.dir, ab.dir);
});

test("a changed extra lock is a new key, so a new venv", async () => {
  const before = await ensureEnvironment({ lockFile, cacheDir, extras: [IDNA] });
  assert.notEqual(extrasKey(before.key, [{ ...IDNA, lockText: "idna==3.10\n" }]), extrasKey(before.key, [IDNA]));
});

test("doctor on an extras venv lists the extra, and the base lists the sets built on it", async () => {
  const report = await doctor({ lockFile, cacheDir, extras: [IDNA] });
  assert.equal(report.venv.ok, true, report.problems.join("; "));
  assert.deepEqual(report.extras, [
    { name: "idna-extra", packages: [{ name: "idna", wanted: "3.20", found: "3.20", status: "ok" }] },
  ]);
  const baseReport = await doctor({ lockFile, cacheDir });
  assert.deepEqual(baseReport.extras, []);
  assert.deepEqual(baseReport.builtExtras.map((s) => s.join("+")).sort(), ["attrs-extra+idna-extra", "idna-extra"]);
  assert.match(formatDoctor(report, { color: false }), /^✓ extra idna-extra +idna 3\.20$/m);
  assert.match(
    formatDoctor(baseReport, { color: false }),
    /^extras ready on this base \(trellis env doctor --extra NAME\): attrs-extra \+ idna-extra; idna-extra$/m,
  );
});

test("extras whose locks disagree on a pin are refused before anything is built", async () => {
  const clash: ExtraLock = { name: "old-idna", lockText: "idna==3.10\n", requires: ["idna"] };
  const error = await ensureEnvironment({ lockFile, cacheDir, extras: [IDNA, clash] }).catch((e: unknown) => e);
  assert.ok(error instanceof EnvironmentError, String(error));
  assert.match(error.message, /disagree \(idna: idna-extra pins 3\.20, old-idna pins 3\.10\)/);
});
