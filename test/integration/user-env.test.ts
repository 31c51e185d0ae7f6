/**
 * `trellis run --env`: what an environment cannot run is refused with one line naming it, before
 * anything starts; and versions outside the supported range are refused for render and check too.
 * The environments are real venvs (no pip) with package metadata written into them.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { RECIPES, runDirs, trellis, workspace } from "../helpers/cli.js";

/** A venv whose metadata says these packages are installed (nothing importable: refused before any import). */
function fakeEnv(dir: string, packages: Record<string, string>): string {
  execFileSync("python3", ["-m", "venv", "--without-pip", dir]);
  const site = execFileSync(
    path.join(dir, "bin", "python"),
    ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
    { encoding: "utf8" },
  ).trim();
  for (const [name, version] of Object.entries(packages)) {
    const info = path.join(site, `${name}-${version}.dist-info`);
    mkdirSync(info, { recursive: true });
    writeFileSync(path.join(info, "METADATA"), `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`);
  }
  return dir;
}

const ALL = {
  torch: "2.13.0",
  transformers: "4.46.3",
  trl: "0.11.4",
  peft: "0.13.2",
  datasets: "5.0.1",
  accelerate: "1.15.0",
};

describe("trellis run --env", () => {
  const ws = workspace("user-env");
  const recipe = path.join(RECIPES, "quickstart-orpo.yaml");
  const runs = path.join(ws.dir, "runs");
  const run = (...args: string[]) =>
    trellis(["run", recipe, "--json", "--runs-dir", runs, ...args], { cwd: ws.dir, env: ws.env });

  it("refuses a path that is not there, or a folder without a python", async () => {
    const missing = await run("--env", path.join(ws.dir, "nope"));
    assert.equal(missing.exitCode, 3);
    assert.match(missing.stderr, /--env .*nope: no such file or folder \(give an environment's folder or its python\)/);
    mkdirSync(path.join(ws.dir, "empty"));
    const empty = await run("--env", path.join(ws.dir, "empty"));
    assert.equal(empty.exitCode, 3);
    assert.match(empty.stderr, /the folder has no bin\/python/);
  });

  it("refuses a TRL older than the supported range, naming it and the range", async () => {
    const env = fakeEnv(path.join(ws.dir, "old"), ALL);
    const result = await run("--env", env);
    assert.equal(result.exitCode, 3);
    assert.match(
      result.stderr,
      /has trl 0\.11\.4: it is too old: trellis supports TRL 0\.12\.0 up to \(not including\) 2\.0\.0; upgrade trl there/,
    );
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  });

  it("refuses an environment without a package a stage needs, by name (its python given directly)", async () => {
    const { peft: _gone, ...rest } = ALL;
    const env = fakeEnv(path.join(ws.dir, "nopeft"), { ...rest, trl: "0.24.0" });
    const result = await run("--env", path.join(env, "bin", "python"));
    assert.equal(result.exitCode, 3);
    assert.match(result.stderr, /has no peft \(a stage needs torch, transformers, trl, peft, datasets, accelerate\)/);
  });

  it("takes TRELLIS_ENV, and refuses it beside flags that only shape the managed environment", async () => {
    const viaSetting = await trellis(["run", recipe, "--json", "--runs-dir", runs], {
      cwd: ws.dir,
      env: { ...ws.env, TRELLIS_ENV: path.join(ws.dir, "nope") },
    });
    assert.equal(viaSetting.exitCode, 3);
    assert.match(viaSetting.stderr, /--env .*nope: no such file/);
    const both = await run("--env", path.join(ws.dir, "old"), "--reuse-torch", "python3");
    assert.equal(both.exitCode, 2);
    assert.match(both.stderr, /--reuse-torch only shape the managed one/);
    assert.equal(existsSync(runs) ? runDirs(runs).length : 0, 0, "no run directory is left behind");
  });
});

describe("--trl-version outside the supported range", () => {
  const ws = workspace("trl-range");
  for (const [version, why] of [
    ["0.1", /TRL 0\.1\.0 is too old/],
    ["99.0", /TRL 99\.0\.0 is newer than trellis knows/],
  ] as const) {
    it(`render and check refuse ${version}`, async () => {
      for (const command of ["render", "check"]) {
        const result = await trellis(
          [
            command,
            path.join(RECIPES, "quickstart-orpo.yaml"),
            "--trl-version",
            version,
            ...(command === "render" ? ["--out", path.join(ws.dir, version)] : []),
          ],
          { cwd: ws.dir, env: ws.env },
        );
        assert.equal(result.exitCode, 2, `${command}: ${result.stderr}`);
        assert.match(result.stderr, why);
      }
    });
  }
});
