/**
 * The pre-started Python (src/adapters/python-prestart.cts): a second `trellis run --foreground`
 * of a recipe runs its stage in the Python bin/trellis.js started before the CLI loaded, with the
 * same events and losses as a stage spawned the usual way; one that does not suit is ended and
 * the stage spawned as before; one never asked for ends with trellis.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { before, describe, it } from "node:test";
import { eventsOf, onlyRun, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("prestart");
const RECIPE = path.join(RECIPES, "quickstart-orpo.yaml");
const hintsFile = () =>
  path.join(
    process.env.TRELLIS_CACHE_DIR ??
      (process.env.XDG_CACHE_HOME
        ? path.join(process.env.XDG_CACHE_HOME, "trellis")
        : path.join(homedir(), ".cache", "trellis")),
    "prestart.json",
  );

async function run(name: string, env: Record<string, string> = {}) {
  const runs = path.join(ws.dir, name);
  const result = await trellis(["run", RECIPE, "--foreground", "--json", "--runs-dir", runs], {
    cwd: ws.dir,
    env: { ...ws.env, ...env },
  });
  assert.equal(result.exitCode, 0, result.stderr);
  const dir = onlyRun(runs);
  const events = readEvents(path.join(dir, "events.jsonl"));
  const log = readFileSync(path.join(dir, "trellis.log"), "utf8");
  return { events, prestarted: /"prestarted":true/.test(log) };
}

const losses = (events: ReturnType<typeof readEvents>) =>
  eventsOf(events, "metrics", "orpo").map((e) => [e.step, e.metrics.loss]);
const types = (events: ReturnType<typeof readEvents>) => [...new Set(events.map((e) => e.type))].sort();

/** Processes whose environment holds `marker`: what a test run left running. */
function processesWith(marker: string): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/environ`, "latin1").includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("the pre-started stage Python", { timeout: RUN_TIMEOUT_MS }, () => {
  let first: Awaited<ReturnType<typeof run>>;
  let second: Awaited<ReturnType<typeof run>>;
  before(async () => {
    first = await run("runs-1", { TRELLIS_PRESTART: "0" });
    second = await run("runs-2");
  });

  it("runs the second run's stage, with the same losses and events as a plainly spawned one", () => {
    assert.equal(first.prestarted, false);
    assert.equal(second.prestarted, true);
    assert.ok(losses(first.events).length > 0);
    assert.deepEqual(losses(second.events), losses(first.events));
    assert.deepEqual(types(second.events), types(first.events));
    assert.equal(eventsOf(second.events, "run_end")[0]?.status, "finished");
  });

  it("is ended, and the stage spawned as before, when it does not suit (another import-time environment)", async () => {
    const hints = JSON.parse(readFileSync(hintsFile(), "utf8")) as Record<string, { tiny: boolean }>;
    hints[RECIPE]!.tiny = false; // this recipe's tiny model loads torch with OMP_NUM_THREADS=1
    writeFileSync(hintsFile(), JSON.stringify(hints));
    const marker = `TRELLIS_TEST_MARK=${randomUUID()}`;
    const third = await run("runs-3", { TRELLIS_TEST_MARK: marker.split("=")[1]! });
    assert.equal(third.prestarted, false);
    assert.deepEqual(losses(third.events), losses(first.events));
    assert.deepEqual(processesWith(marker), []);
  });

  it("ends with trellis when no stage comes (a recipe that fails its check)", async () => {
    const bad = path.join(ws.dir, "bad.yaml");
    writeFileSync(bad, "name: bad\nstages: []\n");
    const hints = JSON.parse(readFileSync(hintsFile(), "utf8")) as Record<string, unknown>;
    writeFileSync(hintsFile(), JSON.stringify({ ...hints, [bad]: hints[RECIPE] }));
    const marker = randomUUID();
    const result = await trellis(["run", bad, "--foreground", "--json"], {
      cwd: ws.dir,
      env: { ...ws.env, TRELLIS_TEST_MARK: marker },
    });
    assert.equal(result.exitCode, 2, result.stderr);
    const deadline = Date.now() + 5_000;
    while (processesWith(marker).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(processesWith(marker), []);
  });
});
