/**
 * The quickstarts, as a user runs them, through `trellis run --env` in environments of older
 * releases built the way a user builds one (python3 -m venv, pip; torch the managed pin's CPU
 * wheel), after the managed environment has run first and filled the shared caches (the tiny
 * model under ~/.cache/trellis/models, the datasets cache under $HF_HOME) with what transformers 5
 * and datasets 5 wrote. Every cache a stage loads is keyed by the releases that wrote it, so each
 * environment builds and finds its own (python/tests/test_tiny.py and test_compat.py prove the
 * keying in CI without these environments).
 *
 * Minutes per environment to build (pip fetches a few hundred MB), so `npm test` skips it:
 * `node scripts/test-matrix.mjs envs` runs it and commits test/results/envs.txt. The environments
 * are kept in $TRELLIS_OLD_ENVS (default: <trellis cache>/old-envs) and rebuilt only when their
 * pins change.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, describe, it } from "node:test";
import { execa } from "execa";
import { cacheRoot } from "../../src/adapters/venv/paths.js";
import { BIN, eventsOf, onlyRun, readEvents, RECIPES, ROOT, RUN_TIMEOUT_MS, trellis } from "../helpers/cli.js";

const FULL = process.env.TRELLIS_MATRIX === "full";

interface OldEnv {
  trl: string;
  transformers: string;
  /** Everything pip installs beside torch: releases of the TRL's day. */
  pins: readonly string[];
}

const OLD_ENVS: readonly OldEnv[] = [
  {
    trl: "0.19.1",
    transformers: "4.53.3",
    pins: ["trl==0.19.1", "transformers==4.53.3", "peft==0.16.0", "accelerate==1.8.1", "datasets==3.6.0"],
  },
  {
    trl: "0.25.1",
    transformers: "4.57.6",
    pins: ["trl==0.25.1", "transformers==4.57.6", "peft==0.17.1", "accelerate==1.11.0", "datasets==4.4.1"],
  },
];
const QUICKSTARTS = ["quickstart-orpo", "quickstart-sft-dpo"] as const;

/** The torch of the managed pin (python/requirements.in): a CPU wheel pip finds locally, never a CUDA one. */
function torchPin(): string {
  const line = readFileSync(path.join(ROOT, "python", "requirements.in"), "utf8")
    .split("\n")
    .find((l) => /^torch==/.test(l.trim()));
  assert.ok(line, "python/requirements.in pins no torch");
  return line.trim();
}

/** The environment's folder, built the first time (minutes), kept while its pins are the same. */
function oldEnvironment(env: OldEnv): string {
  const root = process.env.TRELLIS_OLD_ENVS ?? path.join(cacheRoot(), "old-envs");
  const dir = path.join(root, `trl-${env.trl}`);
  const done = path.join(dir, ".done");
  const pins = [torchPin(), ...env.pins];
  if (!existsSync(done) || readFileSync(done, "utf8") !== `${JSON.stringify(pins)}\n`) build(dir, pins);
  else process.stderr.write(`# ${dir}: built before, with ${pins.join(" ")}\n`);
  process.stderr.write(`# ${dir}: ${installed(path.join(dir, "bin", "python"))}\n`);
  return dir;
}

function build(dir: string, pins: readonly string[]): void {
  const started = Date.now();
  rmSync(dir, { recursive: true, force: true });
  execFileSync("python3", ["-m", "venv", dir]);
  const python = path.join(dir, "bin", "python");
  // pip's output only when it fails (in the thrown error): its index warnings say nothing here.
  const pip = (...args: string[]) =>
    execFileSync(python, ["-m", "pip", "install", "-q", "--disable-pip-version-check", ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
  // torch first and alone, then held by a constraint: a TRL or peft must not swap it for a CUDA one.
  pip(pins[0]!);
  const constraint = path.join(dir, "torch-constraint.txt");
  writeFileSync(constraint, `${pins[0]}\n`);
  pip("-c", constraint, ...pins.slice(1));
  execFileSync(python, ["-c", "import torch, trl, transformers, peft, datasets, accelerate"]);
  writeFileSync(path.join(dir, ".done"), `${JSON.stringify(pins)}\n`);
  process.stderr.write(`# built ${dir} in ${((Date.now() - started) / 1000).toFixed(0)} s: ${pins.join(" ")}\n`);
}

/** What the environment has, from package metadata: the record of what the quickstarts ran under. */
function installed(python: string): string {
  const names = ["torch", "trl", "transformers", "tokenizers", "peft", "datasets", "accelerate", "pyarrow"];
  return execFileSync(
    python,
    [
      "-c",
      "import sys, importlib.metadata as md; print(', '.join(f'{n} {md.version(n)}' for n in sys.argv[1:]))",
      ...names,
    ],
    { encoding: "utf8" },
  ).trim();
}

/** The tiny models in the shared cache, by the transformers release that wrote each. */
function tinyModelsByWriter(): Map<string, string[]> {
  const models = path.join(cacheRoot(), "models");
  const found = new Map<string, string[]>();
  for (const name of existsSync(models) ? readdirSync(models) : []) {
    const stamp = path.join(models, name, "trellis-tiny.json");
    if (!existsSync(stamp)) continue;
    const writer = (JSON.parse(readFileSync(stamp, "utf8")) as { writer: { transformers: string } }).writer;
    found.set(writer.transformers, [...(found.get(writer.transformers) ?? []), name]);
  }
  return found;
}

const minor = (version: string) => version.split(".").slice(0, 2).join(".");

describe(
  "the quickstarts through --env in older environments, after the managed one filled the caches",
  {
    skip: FULL ? false : "builds environments (minutes): node scripts/test-matrix.mjs envs",
    timeout: RUN_TIMEOUT_MS * 8,
  },
  () => {
    // One $HF_HOME for every run, as a user has: the datasets cache is shared too.
    const shared = mkdtempSync(path.join(tmpdir(), "trellis-old-envs-"));
    const env = { HF_HUB_OFFLINE: "1", HF_DATASETS_OFFLINE: "1", HF_HOME: path.join(shared, "hf"), NO_COLOR: "1" };
    let managed = "";

    /** `trellis run recipes/<name>.yaml --env <dir>`: the bundled recipe as it is, so the tiny model's spec is the user's. */
    async function quickstart(name: string, envDir: string, trl: string) {
      const runs = path.join(shared, `runs-${path.basename(envDir)}-${name}`);
      const started = Date.now();
      const result = await trellis(
        ["run", path.join(RECIPES, `${name}.yaml`), "--env", envDir, "--json", "--foreground", "--runs-dir", runs],
        { cwd: ROOT, env },
      );
      assert.equal(result.exitCode, 0, `${result.stderr}\n${result.stdout.slice(-3000)}`);
      assert.match(result.stderr, new RegExp(`using the environment .* as it is \\(trl ${trl.replace(/\./g, "\\.")}`));
      const events = readEvents(path.join(onlyRun(runs), "events.jsonl"));
      const stages = eventsOf(events, "stage_start").map((e) => e.stage);
      assert.equal(stages.length, name === "quickstart-orpo" ? 1 : 2, `stages: ${stages.join(", ")}`);
      for (const stage of stages) {
        const losses = eventsOf(events, "metrics", stage ?? undefined).flatMap((m) =>
          typeof m.metrics.loss === "number" ? [m.metrics.loss] : [],
        );
        assert.ok(losses.length >= 2 && losses.at(-1)! < losses[0]!, `${stage}: losses ${losses.join(", ")}`);
      }
      assert.equal(eventsOf(events, "run_end")[0]?.status, "finished");
      process.stderr.write(`# ${name} (trl ${trl}): ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    }

    before(async () => {
      const setup = await execa(process.execPath, [BIN, "env", "setup"], { cwd: ROOT, reject: false });
      assert.equal(setup.exitCode, 0, String(setup.stderr));
      const doctor = await execa(process.execPath, [BIN, "env", "doctor", "--json"], { cwd: ROOT, reject: false });
      const python = (JSON.parse(String(doctor.stdout)) as { python: { path: string } }).python.path;
      managed = path.dirname(path.dirname(python));
    });

    it("the managed environment runs the ORPO quickstart first (its transformers writes the tiny model)", async () => {
      const trl = execFileSync(path.join(managed, "bin", "python"), ["-c", "import trl; print(trl.__version__)"], {
        encoding: "utf8",
      }).trim();
      process.stderr.write(`# ${managed} (managed): ${installed(path.join(managed, "bin", "python"))}\n`);
      await quickstart("quickstart-orpo", managed, trl);
    });

    for (const old of OLD_ENVS) {
      for (const name of QUICKSTARTS) {
        it(`TRL ${old.trl}, transformers ${old.transformers}: ${name}`, { timeout: RUN_TIMEOUT_MS * 2 }, async () => {
          await quickstart(name, oldEnvironment(old), old.trl);
          // Its own tiny model, written by its own transformers, beside the managed one's.
          assert.ok(tinyModelsByWriter().has(minor(old.transformers)), JSON.stringify([...tinyModelsByWriter()]));
        });
      }
    }

    it("the shared cache holds a tiny model per transformers release, none overwritten", () => {
      const writers = tinyModelsByWriter();
      for (const old of OLD_ENVS) assert.ok(writers.has(minor(old.transformers)), [...writers.keys()].join(", "));
      assert.ok(
        [...writers.keys()].some((v) => Number(v.split(".")[0]) >= 5),
        [...writers.keys()].join(", "),
      );
    });
  },
);
