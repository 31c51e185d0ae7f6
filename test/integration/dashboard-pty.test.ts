/**
 * The real dashboard in a real pseudo-terminal (tmux), attached to a real run: it shows the
 * stage, a progress bar that advances and loss values; q detaches while training goes on and
 * says how to stop and reattach; attach opens the finished run for review, q leaves it with the
 * summary; s then y stops gracefully with a checkpoint. Ctrl-C is the one rule of every view:
 * it stops the run (a checkpoint, then stopped), in `run` as in `attach`; q detaches.
 * UPDATE_SCREENS=1 rewrites the screen fixtures in test/fixtures/screens/ (shown in docs/dashboard.md).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { execa } from "execa";
import { BIN, eventsOf, readEvents, ROOT, RUN_TIMEOUT_MS, runDirs, workspace } from "../helpers/cli.js";
import { longOrpoRecipe, startRun, waitFor } from "../helpers/live-run.js";

const ws = workspace("dashboard");
const socket = `trellis-test-${process.pid}`;
const tmux = async (...args: string[]) =>
  String((await execa("tmux", ["-L", socket, ...args], { reject: false })).stdout);
const screen = (session: string) => tmux("capture-pane", "-p", "-t", session);
const env = Object.entries({ ...ws.env, NO_COLOR: "" })
  .map(([k, v]) => `${k}=${v}`)
  .join(" ");
const SCREENS = path.join(ROOT, "test", "fixtures", "screens");

async function waitForScreen(
  session: string,
  check: (text: string) => boolean,
  what: string,
  timeoutMs = 120_000,
): Promise<string> {
  let last = "";
  await waitFor(
    () => {
      void screen(session).then((s) => (last = s));
      return check(last);
    },
    timeoutMs,
    `${what}; screen:\n${last}`,
  );
  return last;
}

function start(session: string, command: string): Promise<string> {
  // The shell line prints the exit code, then keeps the pane open to read.
  // CI=true as in many shells and CI jobs: the dashboard must still draw live (src/ui/load-dashboard.ts).
  return tmux(
    "new-session",
    "-d",
    "-s",
    session,
    "-x",
    "80",
    "-y",
    "24",
    `cd ${ws.dir} && env CI=true ${env} ${command}; echo EXIT=$?; sleep 600`,
  );
}

const stepOf = (text: string) => Number(/step (\d+)\/\d+/.exec(text)?.[1] ?? -1);

after(() => tmux("kill-server"));

describe("the dashboard in a terminal", { timeout: RUN_TIMEOUT_MS }, () => {
  const runs = path.join(ws.dir, "runs");

  it("shows the stage, an advancing progress bar and losses; q detaches and the run finishes; attach replays it", async () => {
    await start("live", `node ${BIN} run ${longOrpoRecipe(ws.dir, 8)} --runs-dir ${runs}`);
    const first = await waitForScreen("live", (s) => stepOf(s) > 0 && /loss/.test(s), "training on screen");
    const later = await waitForScreen("live", (s) => stepOf(s) > stepOf(first) + 5, "the step to advance");
    assert.match(later, /quickstart-orpo/);
    assert.match(later, /ORPO|orpo/);
    assert.match(later, /▕[█░▌▏ ]*[█░]+[█░▌▏ ]*▏ *\d+%/, "a progress bar");
    assert.match(later, /loss[^\n]*\d\.\d{3}/, "a loss value");
    assert.match(later, /q detach/);
    for (const line of later.split("\n")) assert.ok([...line].length <= 80, `a line wider than the terminal: ${line}`);
    if (process.env.UPDATE_SCREENS) {
      const late = await waitForScreen("live", (s) => stepOf(s) >= 200, "step 200");
      mkdirSync(SCREENS, { recursive: true });
      writeFileSync(path.join(SCREENS, "dashboard-orpo-80x24.txt"), `${late.trimEnd()}\n`);
    }

    await tmux("send-keys", "-t", "live", "q");
    const detached = await waitForScreen("live", (s) => /EXIT=\d+/.test(s), "the client to exit");
    const dir = runDirs(runs)[0]!;
    const id = path.basename(dir);
    assert.match(detached, /detached: the run goes on/);
    assert.ok(detached.includes(`stop it with:   trellis stop ${id}\n`), detached);
    assert.ok(detached.includes(`reattach with:  trellis attach ${id}\n`), detached);
    assert.match(detached, /EXIT=0/);
    await waitFor(
      () => readEvents(path.join(dir, "events.jsonl")).some((e) => e.type === "run_end"),
      RUN_TIMEOUT_MS,
      "the run to finish without its viewer",
    );
    assert.equal(eventsOf(readEvents(path.join(dir, "events.jsonl")), "run_end")[0]?.status, "finished");

    // A finished run opens for review in the dashboard; q leaves it with the summary.
    await start("replay", `node ${BIN} attach ${path.basename(dir)} --runs-dir ${runs}`);
    await waitForScreen("replay", (s) => /review/.test(s) && /✓ finished/.test(s), "the review");
    await tmux("send-keys", "-t", "replay", "q");
    const summary = await waitForScreen("replay", (s) => /EXIT=\d+/.test(s), "the replay to end");
    assert.match(summary, /✓ run \S+ finished/);
    assert.match(summary, /held-out preference accuracy: 0\.\d+ → \d\.\d+/);
    assert.match(summary, /EXIT=0/);
    if (process.env.UPDATE_SCREENS)
      writeFileSync(
        path.join(SCREENS, "final-summary-orpo.txt"),
        `${summary.replace(/\nEXIT=0[\s\S]*$/, "").trimEnd()}\n`,
      );
  });

  it("s then y stops the run gracefully: a checkpoint is saved and the run is stopped", async () => {
    const stopRuns = path.join(ws.dir, "runs-stop");
    await start("stop", `node ${BIN} run ${longOrpoRecipe(ws.dir, 30)} --runs-dir ${stopRuns}`);
    await waitForScreen("stop", (s) => stepOf(s) > 0, "training on screen");
    await tmux("send-keys", "-t", "stop", "s");
    await waitForScreen("stop", (s) => /Stop training\? A checkpoint is saved first/.test(s), "the confirmation");
    await tmux("send-keys", "-t", "stop", "y");
    const end = await waitForScreen("stop", (s) => /EXIT=\d+/.test(s), "the run to stop");
    assert.match(end, /EXIT=130/);
    assert.match(end, /stopped/);
    const dir = runDirs(stopRuns)[0]!;
    const events = readEvents(path.join(dir, "events.jsonl"));
    assert.equal(eventsOf(events, "run_end")[0]?.status, "stopped");
    const stopped = eventsOf(events, "stopped")[0];
    assert.ok(
      stopped?.checkpoint && existsSync(path.join(stopped.checkpoint, "trainer_state.json")),
      "a saved checkpoint",
    );
  });

  it("Ctrl-C in the dashboard of a running run stops it: a checkpoint, then stopped, resumable", async () => {
    const ctrlRuns = path.join(ws.dir, "runs-ctrl-c");
    await start("ctrlc", `node ${BIN} run ${longOrpoRecipe(ws.dir, 30)} --runs-dir ${ctrlRuns}`);
    await waitForScreen("ctrlc", (s) => stepOf(s) > 0, "training on screen");
    await tmux("send-keys", "-t", "ctrlc", "C-c");
    const end = await waitForScreen("ctrlc", (s) => /EXIT=\d+/.test(s), "the run to stop");
    assert.match(end, /EXIT=130/);
    assert.match(end, /[■#] run \S+ stopped/);
    assert.match(end, /trellis resume/);
    assertStoppedWithCheckpoint(runDirs(ctrlRuns)[0]!);
  });

  it("attach: q detaches and the run goes on; Ctrl-C in a second attach stops it", async () => {
    const attachRuns = path.join(ws.dir, "runs-attach");
    const run = await startRun(longOrpoRecipe(ws.dir, 30), attachRuns, ws.env);
    const id = path.basename(run.dir);
    await start("attach1", `node ${BIN} attach ${id} --runs-dir ${attachRuns}`);
    await waitForScreen("attach1", (s) => stepOf(s) > 0, "training on screen");
    await tmux("send-keys", "-t", "attach1", "q");
    const detached = await waitForScreen("attach1", (s) => /EXIT=\d+/.test(s), "attach to leave");
    assert.match(detached, /EXIT=0/);
    assert.ok(detached.includes(`stop it with:   trellis stop ${id}\n`), detached);
    const steps = () => eventsOf(readEvents(path.join(run.dir, "events.jsonl")), "metrics").length;
    const atDetach = steps();
    await waitFor(() => steps() > atDetach + 3, 120_000, "training to go on after q");
    assert.ok(!readEvents(path.join(run.dir, "events.jsonl")).some((e) => e.type === "run_end"), "q stopped the run");

    await start("attach2", `node ${BIN} attach ${id} --runs-dir ${attachRuns}`);
    await waitForScreen("attach2", (s) => stepOf(s) > 0 && /q detach/.test(s), "the live dashboard");
    await tmux("send-keys", "-t", "attach2", "C-c");
    const end = await waitForScreen("attach2", (s) => /EXIT=\d+/.test(s), "the run to stop");
    assert.match(end, /EXIT=130/);
    assert.match(end, /[■#] run \S+ stopped/);
    assert.equal((await run.child).exitCode, 130, "the first viewer saw the stop too");
    assertStoppedWithCheckpoint(run.dir);
  });
});

function assertStoppedWithCheckpoint(dir: string) {
  const events = readEvents(path.join(dir, "events.jsonl"));
  assert.equal(eventsOf(events, "run_end")[0]?.status, "stopped");
  const stopped = eventsOf(events, "stopped")[0];
  assert.ok(
    stopped?.checkpoint && existsSync(path.join(stopped.checkpoint, "trainer_state.json")),
    "a saved checkpoint",
  );
}
