/**
 * Two runs of the quickstart started at the same moment on one machine, in one runs folder,
 * sharing the venv and a tiny-model cache that neither finds built: both succeed, each with its
 * own run id, supervisor port and output folder.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { execa } from "execa";
import type { RunEvent } from "../../src/core/events/protocol.js";
import { BIN, eventsOf, readEvents, RECIPES, RUN_TIMEOUT_MS, runDirs, trellis, workspace } from "../helpers/cli.js";
import { waitFor } from "../helpers/live-run.js";

const ws = workspace("concurrency");
after(() => rmSync(ws.dir, { recursive: true, force: true }));
/** Steps per run: enough to train and save, few enough for 2 shared cores. */
const MAX_STEPS = 10;

describe("concurrent runs", { timeout: RUN_TIMEOUT_MS }, () => {
  it("two quickstart runs started together both finish, with distinct run ids, ports and outputs", async () => {
    const text = readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8")
      .replace(/data\//g, `${path.join(RECIPES, "data")}/`)
      .replace(/( {6}logging_steps: \d+\n)/, `$1      max_steps: ${MAX_STEPS}\n`);
    const recipe = path.join(ws.dir, "quickstart-orpo.yaml");
    writeFileSync(recipe, text);
    // The managed venv as it is, but a tiny-model cache of this test's own: both runs build the
    // tiny model at the same moment and must not trip over each other.
    const doctor = await trellis(["env", "doctor", "--json"], { cwd: ws.dir, env: ws.env });
    const venv = (JSON.parse(doctor.stdout) as { venv: { dir: string } }).venv.dir;
    const env = { ...ws.env, TRELLIS_VENV: venv, TRELLIS_CACHE_DIR: path.join(ws.dir, "cache") };
    const runs = path.join(ws.dir, "runs");

    const start = () =>
      execa(process.execPath, [BIN, "run", recipe, "--runs-dir", runs, "--json"], {
        cwd: ws.dir,
        env,
        reject: false,
        stdin: "ignore",
      });
    const children = [start(), start()];
    // Each supervisor's address, read while it runs (supervisor.json goes away at the end).
    const urls = new Map<string, string>();
    const watching = waitFor(
      () => {
        for (const dir of runDirs(runs)) {
          const info = path.join(dir, "supervisor.json");
          if (!urls.has(dir) && existsSync(info)) {
            try {
              urls.set(dir, (JSON.parse(readFileSync(info, "utf8")) as { url: string }).url);
            } catch {
              // caught mid-write: read it on the next look
            }
          }
        }
        return urls.size === 2;
      },
      RUN_TIMEOUT_MS,
      "both supervisors",
    );
    const results = await Promise.all(children);
    await watching;

    for (const r of results) assert.equal(r.exitCode, 0, String(r.stderr));
    const dirs = runDirs(runs);
    assert.equal(dirs.length, 2, "two run directories");
    const ids = dirs.map((d) => path.basename(d));
    assert.notEqual(ids[0], ids[1]);
    const ports = [...urls.values()].map((u) => new URL(u).port);
    assert.equal(new Set(ports).size, 2, `distinct ports: ${ports.join(", ")}`);

    const saved: string[] = [];
    for (const dir of dirs) {
      const events = readEvents(path.join(dir, "events.jsonl"));
      const start = eventsOf(events, "run_start")[0]!;
      assert.equal(start.run_id, path.basename(dir), "each run's events are its own");
      assert.equal((events.at(-1) as Extract<RunEvent, { type: "run_end" }>).status, "finished");
      assert.equal(eventsOf(events, "metrics").at(-1)?.step, MAX_STEPS);
      const out = eventsOf(events, "saved")[0]!.path;
      assert.ok(out.startsWith(dir), `the output ${out} is inside its own run directory`);
      assert.ok(existsSync(path.join(out, "model.safetensors")), "the model was saved");
      saved.push(out);
    }
    assert.notEqual(saved[0], saved[1]);
    // One tiny model in the shared cache, and no half-built folder left by the build that lost.
    assert.equal(readdirSync(path.join(ws.dir, "cache", "models")).length, 1);
    // Each run's --json output is its own run's events, nothing of the other's.
    for (const r of results) {
      const printed = String(r.stdout)
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as RunEvent);
      const id = eventsOf(printed, "run_start")[0]!.run_id;
      assert.deepEqual(printed, readEvents(path.join(runs, id, "events.jsonl")));
    }
  });
});
