/** The CLI's conventions: --help everywhere, --version, exit codes, render targets. */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { execa } from "execa";
import { BIN, RECIPES, ROOT, trellis, workspace } from "../helpers/cli.js";
import { hubCacheWith } from "../helpers/hub-cache.js";

const ws = workspace("cli");

describe("trellis CLI", () => {
  for (const command of [[], ["run"], ["render"], ["check"], ["env"], ["env", "setup"], ["env", "doctor"]]) {
    it(`trellis ${command.join(" ")} --help`, async () => {
      const result = await trellis([...command, "--help"], { cwd: ws.dir });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(result.stdout, /^(Usage|trellis)/);
    });
  }

  it("--version prints the package version", async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    assert.equal((await trellis(["--version"], { cwd: ws.dir })).stdout.trim(), version);
  });

  it("bin/trellis.js answers --help and --version itself, as the CLI proper does, loading no ES module", async () => {
    const proper = path.join(ROOT, "dist", "src", "cli", "main.js");
    for (const args of [
      [],
      ["--help"],
      ["-h"],
      ["help"],
      ["help", "run"],
      ["help", "env", "setup"],
      ["--version"],
      ["-V"],
    ]) {
      const fast = await trellis(args, { cwd: ws.dir });
      const slow = await execa(process.execPath, [proper, ...args], { cwd: ws.dir, reject: false });
      assert.equal(fast.exitCode, 0, fast.stderr);
      assert.equal(fast.stdout, String(slow.stdout), args.join(" "));
    }
    // What the fast path saves is the ESM loader: no ES module is loaded (Node loads its module
    // jobs' internals only for one).
    const probe = path.join(ws.dir, "esm-probe.cjs");
    writeFileSync(
      probe,
      `process.on("exit", () => console.error(process.moduleLoadList.some((m) => m.includes("esm/module_job"))))`,
    );
    for (const args of [["--help"], ["--version"]]) {
      const loaded = await execa(process.execPath, ["--require", probe, BIN, ...args], { cwd: ws.dir, reject: false });
      assert.equal(loaded.stderr.trim(), "false", args.join(" "));
    }
  });

  it("the CLI loads as its bundle: check reads none of dist's separate modules, zod's or yaml's", async () => {
    // A module-loader hook (in its own thread) writes down every module loaded.
    const log = path.join(ws.dir, "loaded.txt");
    const hooks = path.join(ws.dir, "log-hooks.mjs");
    writeFileSync(
      hooks,
      `import { appendFileSync } from "node:fs";
export async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + "\\n"); return next(url, context); }`,
    );
    const register = path.join(ws.dir, "log-register.mjs");
    writeFileSync(register, `import { register } from "node:module"; register(${JSON.stringify(`file://${hooks}`)});`);
    writeFileSync(log, "");
    const checked = await execa(
      process.execPath,
      ["--import", register, BIN, "check", path.join(RECIPES, "quickstart-orpo.yaml")],
      {
        cwd: ws.dir,
        reject: false,
      },
    );
    assert.equal(checked.exitCode, 0, checked.stderr);
    const loaded = readFileSync(log, "utf8")
      .split("\n")
      .filter((u) => u.startsWith("file:"));
    assert.ok(
      loaded.some((u) => u.includes("/dist/src/bundled/")),
      loaded.join("\n"),
    );
    const unbundled = loaded.filter((u) => /\/node_modules\/(zod|yaml)\/|\/dist\/src\/(?!bundled\/)/.test(u));
    assert.deepEqual(unbundled, []);
    assert.ok(loaded.length < 30, `${loaded.length} modules:\n${loaded.join("\n")}`);
  });

  it("an unknown command or flag is a usage error (exit 2)", async () => {
    assert.equal((await trellis(["frobnicate"], { cwd: ws.dir })).exitCode, 2);
    const bad = await trellis(["run", "--nope", "x.yaml"], { cwd: ws.dir });
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /nope/);
  });

  it("check validates the bundled recipes", async () => {
    for (const r of ["quickstart-orpo.yaml", "quickstart-sft-dpo.yaml", "quickstart-dpo-lora.yaml"]) {
      const result = await trellis(["check", path.join(RECIPES, r)], { cwd: ws.dir });
      assert.equal(result.exitCode, 0, result.stderr);
    }
  });

  it("the real-model recipes validate, their models in the cache (their Hub data is checked at run time)", async () => {
    // Offline, a Hub model must be in the cache to pass check (hub-offline.test.ts).
    const cached = hubCacheWith(path.join(ws.dir, "hf-cached"), ["Qwen/Qwen2.5-0.5B", "Qwen/Qwen2.5-0.5B-Instruct"]);
    for (const r of ["orpo.yaml", "sft-dpo.yaml", "dpo-lora.yaml"]) {
      const result = await trellis(["check", path.join(RECIPES, r)], {
        cwd: ws.dir,
        env: { HF_HOME: cached, HF_HUB_OFFLINE: "1" },
      });
      assert.equal(result.exitCode, 0, `${r}: ${result.stderr}`);
    }
  });

  it("render targets the requested TRL version", async () => {
    const out = (v: string) => path.join(ws.dir, `orpo-${v}`);
    for (const [version, line] of [
      ["1.13", "from trl.experimental.orpo import ORPOConfig, ORPOTrainer"],
      ["0.25", "from trl import ORPOConfig, ORPOTrainer"],
    ] as const) {
      const result = await trellis(
        ["render", path.join(RECIPES, "quickstart-orpo.yaml"), "--out", out(version), "--trl-version", version],
        { cwd: ws.dir },
      );
      assert.equal(result.exitCode, 0, result.stderr);
      assert.ok(readFileSync(path.join(out(version), "stage-1-orpo.py"), "utf8").includes(line), version);
    }
  });

  it("render refuses a field the target TRL removed, with the reason", async () => {
    const text = readFileSync(path.join(RECIPES, "quickstart-sft-dpo.yaml"), "utf8").replace(
      "      beta: 0.1",
      "      beta: 0.1\n      max_prompt_length: 32",
    );
    const file = path.join(ws.dir, "old.yaml");
    (await import("node:fs")).writeFileSync(file, text);
    (await import("node:fs")).cpSync(path.join(RECIPES, "data"), path.join(ws.dir, "data"), { recursive: true });
    const now = await trellis(["render", file, "--out", path.join(ws.dir, "r1")], { cwd: ws.dir });
    assert.equal(now.exitCode, 2);
    assert.match(now.stderr, /DPOConfig has no 'max_prompt_length' since TRL 0\.29\.0/);
    const old = await trellis(["render", file, "--out", path.join(ws.dir, "r2"), "--trl-version", "0.28"], {
      cwd: ws.dir,
    });
    assert.equal(old.exitCode, 0, old.stderr);
  });
});
