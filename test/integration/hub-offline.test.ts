/**
 * A Hub model this machine cannot get: offline (HF_HUB_OFFLINE=1), or the Hub unreachable (here
 * HF_ENDPOINT points at a closed port, so the test does not depend on this machine's network).
 * Not in the cache, `check`, `run` and `compare` refuse it in seconds, at model.name, naming
 * HF_HUB_OFFLINE, the cache and how to name a local copy; before, the stage retried for a minute
 * and then said to check the name. In the cache, it passes check and trains, the Hub unasked.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { before, describe, it } from "node:test";
import { execa } from "execa";
import {
  BIN,
  eventsOf,
  onlyRun,
  readEvents,
  RECIPES,
  ROOT,
  runDirs,
  RUN_TIMEOUT_MS,
  trellis,
  workspace,
} from "../helpers/cli.js";

const ws = workspace("hub-offline");
const HF_HOME = path.join(ws.dir, "hf");
const CACHE = path.join(HF_HOME, "hub");
/** The message must come this fast: huggingface_hub's retries took about 60 s. */
const QUICK_MS = 20_000;
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const TINY = {
  architecture: "llama",
  hidden_size: 64,
  num_layers: 2,
  num_heads: 4,
  vocab_size: 320,
  data_files: ["colors-train.jsonl", "colors-eval.jsonl"].map((f) => path.join(RECIPES, "data", f)),
  seed: 42,
};

/** The ORPO quickstart on `model`, four steps. */
function recipe(name: string, model: string): string {
  const text = readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8")
    .replace(/ {2}tiny:\n(?: {4}.*\n)+/, `  name: ${model}\n`)
    .replace(/data\/colors-/g, `${path.join(RECIPES, "data")}/colors-`)
    .replace(/( {6}logging_steps: \d+\n)/, "$1      max_steps: 4\n");
  const file = path.join(ws.dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** A local URL where nothing listens: connections are refused at once. */
async function closedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** The tiny model, built by the runtime, as a download of `trellis-test/cached` in the cache. */
async function cacheTinyModel(): Promise<void> {
  const doctor = await execa(process.execPath, [BIN, "env", "doctor", "--json"], { cwd: ROOT, reject: false });
  const python = (JSON.parse(String(doctor.stdout)) as { python: { path: string } }).python.path;
  const built = await execa(python, ["-m", "trellis_runtime.tiny", "--spec", JSON.stringify(TINY)], {
    cwd: path.join(ROOT, "python"),
    env: { HF_HUB_OFFLINE: "1" },
  });
  const repo = path.join(CACHE, "models--trellis-test--cached");
  cpSync(String(built.stdout).trim().split("\n").at(-1)!, path.join(repo, "snapshots", COMMIT), { recursive: true });
  mkdirSync(path.join(repo, "refs"), { recursive: true });
  writeFileSync(path.join(repo, "refs", "main"), COMMIT);
}

let unreachable: Record<string, string>;
const offline = { ...ws.env, HF_HOME };

before(async () => {
  unreachable = { ...ws.env, HF_HOME, HF_HUB_OFFLINE: "", HF_ENDPOINT: await closedEndpoint() };
  await cacheTinyModel();
});

async function timed(args: string[], env: Record<string, string>) {
  const started = Date.now();
  const result = await trellis(args, { cwd: ws.dir, env });
  return { ...result, ms: Date.now() - started };
}

/** One problem, at model.name, naming the cache and how to point at a local copy. */
function assertClear(stderr: string, file: string, why: RegExp): void {
  assert.match(
    stderr,
    new RegExp(
      `${path.basename(file)}:\\d+:\\d+: model\\.name: trellis-test/absent is not in the Hugging Face cache \\(${CACHE.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\)`,
    ),
  );
  assert.match(stderr, why);
  assert.match(stderr, /HF_HUB_OFFLINE=1 runs without any network/);
  assert.match(stderr, /model\.name: \/path\/to\/folder/);
}

describe("a Hub model this machine cannot download", { timeout: RUN_TIMEOUT_MS }, () => {
  const absent = () => recipe("absent", "trellis-test/absent");

  for (const [label, env, why] of [
    ["offline (HF_HUB_OFFLINE=1)", () => offline, /and HF_HUB_OFFLINE is set, so nothing is downloaded/],
    [
      "the Hub unreachable",
      () => unreachable,
      /and the Hugging Face Hub \(http:\/\/127\.0\.0\.1:\d+\) cannot be reached from this machine: the connection to 127\.0\.0\.1:\d+ was refused/,
    ],
  ] as const) {
    it(`${label}, not cached: check and run refuse it in seconds, naming the way out; no run directory`, async () => {
      const file = absent();
      const check = await timed(["check", file], env());
      assert.equal(check.exitCode, 2, check.stderr);
      assertClear(check.stderr, file, why);
      assert.ok(check.ms < QUICK_MS, `check took ${check.ms} ms`);

      const runs = path.join(ws.dir, `runs-${label.split(" ")[0]}`);
      const run = await timed(["run", file, "--runs-dir", runs], env());
      assert.equal(run.exitCode, 2, run.stderr);
      assertClear(run.stderr, file, why);
      assert.ok(run.ms < QUICK_MS, `run took ${run.ms} ms`);
      assert.deepEqual(runDirs(runs), [], "no run directory");
    });
  }

  it("compare refuses it before its first arm trains", async () => {
    const file = absent();
    writeFileSync(
      path.join(ws.dir, "arms.yaml"),
      "name: absent-arms\ncompare:\n  - absent.yaml\n  - absent-too.yaml\n",
    );
    writeFileSync(
      path.join(ws.dir, "absent-too.yaml"),
      readFileSync(file, "utf8").replace("name: quickstart-orpo", "name: other"),
    );
    const compare = await timed(
      ["compare", path.join(ws.dir, "arms.yaml"), "--runs-dir", path.join(ws.dir, "runs-compare")],
      unreachable,
    );
    assert.equal(compare.exitCode, 2, compare.stderr);
    assert.match(
      compare.stderr,
      /model\.name: trellis-test\/absent is not in the Hugging Face cache .* cannot be reached/,
    );
    assert.ok(compare.ms < QUICK_MS, `compare took ${compare.ms} ms`);
  });

  it("a local folder that does not exist is refused at check, not taken for a Hub id", async () => {
    const check = await timed(["check", recipe("nowhere", "./models/nowhere")], offline);
    assert.equal(check.exitCode, 2, check.stderr);
    assert.match(
      check.stderr,
      /model\.name: no folder '\.\/models\/nowhere' here \(looked from .*\): name a folder that holds the model, or a Hub model as org\/name/,
    );
  });
});

describe("a Hub model in the cache", { timeout: RUN_TIMEOUT_MS }, () => {
  it("passes check offline and with the Hub unreachable", async () => {
    for (const env of [offline, unreachable]) {
      const check = await timed(["check", recipe("cached", "trellis-test/cached")], env);
      assert.equal(check.exitCode, 0, check.stderr);
      assert.doesNotMatch(check.stdout, /not on this machine yet/);
    }
  });

  it("trains with the Hub unreachable, loaded from the cache without a minute of retries", async () => {
    const runs = path.join(ws.dir, "runs-cached");
    const run = await trellis(["run", recipe("cached", "trellis-test/cached"), "--runs-dir", runs, "--json"], {
      cwd: ws.dir,
      env: unreachable,
    });
    assert.equal(run.exitCode, 0, run.stderr.slice(-3000));
    const events = readEvents(path.join(onlyRun(runs), "events.jsonl"));
    assert.ok(
      eventsOf(events, "notice").some(
        (n) => n.code === "hub_unreachable" && /trellis-test\/cached loads from its cached copy/.test(n.message),
      ),
      "a notice says the cached copy was used",
    );
    assert.equal(eventsOf(events, "run_end")[0]?.status, "finished");
    assert.doesNotMatch(run.stderr, /Retrying in/);
  });
});
