/**
 * Results kept while their files are unchanged: the cache itself, data files' digests, and the
 * facts of a Python environment (a real python3, with a folder of its own on PYTHONPATH into
 * which a package is "installed" as pip would: a new *.dist-info folder).
 */
import assert from "node:assert/strict";
import { chmodSync, symlinkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { z } from "zod";
import { cachedFileDigest } from "../../src/adapters/digest-cache.js";
import { sha256Text } from "../../src/adapters/hash.js";
import { probePython } from "../../src/adapters/python-probe.js";
import { stampedCache, stampsOf } from "../../src/adapters/stamp-cache.js";

const temp = () => mkdtempSync(path.join(tmpdir(), "trellis-stamps-"));
/** Files younger than the cache's racy window (2 s) are not kept: let them settle. */
const settle = () => sleep(2100);

/** Rewrites the one entry in `dir` with `edit` applied to its value: a later hit returns the edit. */
function tamper(dir: string, edit: (value: Record<string, unknown>) => void): void {
  const [name] = readdirSync(dir);
  assert.ok(name, `an entry in ${dir}`);
  const entry = JSON.parse(readFileSync(path.join(dir, name), "utf8"));
  edit(entry.value);
  writeFileSync(path.join(dir, name), JSON.stringify(entry));
}

describe("stampedCache", () => {
  const Value = z.object({ n: z.number() });

  it("returns what was stored while the file is unchanged, and nothing once it is rewritten", async () => {
    const dir = temp();
    const file = path.join(dir, "data.jsonl");
    writeFileSync(file, "aaaa\n");
    const cache = stampedCache(path.join(dir, "cache"), Value, { racyMs: 0 });
    await cache.set("k", await stampsOf([file]), { n: 1 });
    assert.deepEqual(await cache.get("k"), { n: 1 });
    assert.equal(await cache.get("other key"), undefined);
    writeFileSync(file, "bbbb\n"); // the same size
    assert.equal(await cache.get("k"), undefined);
  });

  it("sees a change that only ctime records", async () => {
    const dir = temp();
    const file = path.join(dir, "data.jsonl");
    writeFileSync(file, "aaaa\n");
    const cache = stampedCache(path.join(dir, "cache"), Value, { racyMs: 0 });
    await cache.set("k", await stampsOf([file]), { n: 1 });
    await sleep(20); // past the kernel's timestamp tick
    chmodSync(file, 0o600); // size, mtime and inode unchanged
    assert.equal(await cache.get("k"), undefined);
  });

  it("stamps a path it cannot stat instead of failing", async () => {
    const dir = temp();
    const loop = path.join(dir, "loop");
    symlinkSync(loop, loop); // ELOOP, which no permission bit (or root) gets past
    const stamps = await stampsOf([loop, path.join(dir, "gone")]);
    assert.deepEqual(stamps.files, { [loop]: "error:ELOOP", [path.join(dir, "gone")]: "missing" });
  });

  it("keeps nothing for a file that changed while it was being read, or too recently to tell", async () => {
    const dir = temp();
    const file = path.join(dir, "data.jsonl");
    writeFileSync(file, "a\n");
    const relaxed = stampedCache(path.join(dir, "relaxed"), Value, { racyMs: 0 });
    const stamps = await stampsOf([file]);
    writeFileSync(file, "a longer line\n");
    await relaxed.set("k", stamps, { n: 1 });
    assert.equal(await relaxed.get("k"), undefined);

    const strict = stampedCache(path.join(dir, "strict"), Value);
    await strict.set("k", await stampsOf([file]), { n: 2 });
    assert.equal(await strict.get("k"), undefined);
  });

  it("treats a corrupt entry, or one of another shape, as a miss", async () => {
    const dir = temp();
    const file = path.join(dir, "data.jsonl");
    writeFileSync(file, "a\n");
    const cache = stampedCache(path.join(dir, "cache"), Value, { racyMs: 0 });
    await cache.set("k", await stampsOf([file]), { n: 1 });
    tamper(path.join(dir, "cache"), (v) => (v.n = "one"));
    assert.equal(await cache.get("k"), undefined);
    const [name] = readdirSync(path.join(dir, "cache"));
    writeFileSync(path.join(dir, "cache", name!), "{not json");
    assert.equal(await cache.get("k"), undefined);
  });
});

describe("cachedFileDigest", () => {
  it("hashes a file once while it is unchanged, and again after it changes", async () => {
    const dir = temp();
    const cacheDir = path.join(dir, "cache");
    const file = path.join(dir, "pairs.jsonl");
    writeFileSync(file, '{"prompt": "Q"}\n');
    await settle();
    const first = await cachedFileDigest(file, cacheDir);
    assert.deepEqual(first, { bytes: 16, sha256: sha256Text('{"prompt": "Q"}\n') });
    tamper(path.join(cacheDir, "digests"), (v) => (v.sha256 = "0".repeat(64)));
    assert.equal((await cachedFileDigest(file, cacheDir))?.sha256, "0".repeat(64), "read from the cache");
    writeFileSync(file, '{"prompt": "R"}\n');
    assert.equal((await cachedFileDigest(file, cacheDir))?.sha256, sha256Text('{"prompt": "R"}\n'));
    assert.equal(await cachedFileDigest(path.join(dir, "gone.jsonl"), cacheDir), null);
  });
});

describe("probePython", () => {
  it("probes an environment once, and again after a package is installed into it", async () => {
    const dir = temp();
    const cacheDir = path.join(dir, "cache");
    const site = path.join(dir, "site");
    mkdirSync(site);
    const saved = process.env.PYTHONPATH;
    process.env.PYTHONPATH = site;
    try {
      await settle();
      const first = await probePython("python3", { cacheDir });
      assert.match(first.python, /^3\.\d+/);
      assert.equal(first.packages.trellisfake, undefined);
      tamper(path.join(cacheDir, "python-facts"), (v) => (v.python = "from the cache"));
      assert.equal((await probePython("python3", { cacheDir })).python, "from the cache");

      const info = path.join(site, "trellisfake-1.0.dist-info");
      mkdirSync(info);
      writeFileSync(path.join(info, "METADATA"), "Metadata-Version: 2.1\nName: trellisfake\nVersion: 1.0\n");
      const after = await probePython("python3", { cacheDir });
      assert.equal(after.python, first.python, "probed again");
      assert.equal(after.packages.trellisfake, "1.0");
      assert.ok(!("paths" in after), "the folders stamped are the cache's, not the manifest's");
    } finally {
      if (saved === undefined) delete process.env.PYTHONPATH;
      else process.env.PYTHONPATH = saved;
    }
  });
});
