/**
 * Work is never lost (issue 26), on a user's bad day, with real runs: a second run pointed at the
 * first one's output folder is refused before anything starts, and the first stays resumable; a
 * checkpoint damaged in place (same size, other bytes) is caught by its digest and resume falls
 * back to the older good one; two resumes started together run once; run folders are private and
 * the token is gone whenever the run ends.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { eventsOf, readEvents, RECIPES, RUN_TIMEOUT_MS, runDirs, trellis, workspace } from "../helpers/cli.js";
import { assertNoRunProcesses, longOrpoRecipe, runProcesses, startRun, waitFor } from "../helpers/live-run.js";

const ws = workspace("work-kept");
const shared = path.join(ws.dir, "shared-out");

/** 80 steps, a checkpoint every 10 (the newest two kept), into one output folder outside the runs. */
function recipe(): string {
  const text = readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8")
    .replace(/num_train_epochs: \d+/, "num_train_epochs: 2")
    .replace(/logging_steps: \d+/, "logging_steps: 1")
    .replace('save_strategy: "no"', "save_strategy: steps\n      save_steps: 10")
    .replace("seed: 42", `seed: 42\noutput_dir: ${JSON.stringify(shared)}`)
    .replace(/data\//g, `${path.join(RECIPES, "data")}/`);
  const file = path.join(ws.dir, "kept.yaml");
  writeFileSync(file, text);
  return file;
}

const mode = (file: string) => statSync(file).mode & 0o777;
const checkpointsOf = (dir: string) =>
  readdirSync(dir)
    .filter((d) => d.startsWith("checkpoint-"))
    .sort((a, b) => Number(b.split("-")[1]) - Number(a.split("-")[1]));

/** Whether process `pid` has run.lock of `runDir` open. */
function holdsLock(pid: number, runDir: string): boolean {
  return readdirSync(`/proc/${pid}/fd`).some((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === path.join(runDir, "run.lock");
    } catch {
      return false;
    }
  });
}

/** Every float32 of a safetensors file is finite (the tiny model saves float32 only). */
function allFinite(file: string): boolean {
  const bytes = readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8")) as Record<
    string,
    { dtype: string; data_offsets: [number, number] }
  >;
  const base = 8 + headerLength;
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    assert.equal(t.dtype, "F32", `${name} is ${t.dtype}`);
    for (let i = base + t.data_offsets[0]; i < base + t.data_offsets[1]; i += 4)
      if (!Number.isFinite(bytes.readFloatLE(i))) return false;
  }
  return true;
}

/** Overwrites the tensor bytes of a safetensors file with NaNs, keeping its size. */
function damageInPlace(file: string): void {
  const size = statSync(file).size;
  const headerLength = Number(readFileSync(file).readBigUInt64LE(0));
  const fd = openSync(file, "r+");
  writeSync(fd, Buffer.alloc(size - 8 - headerLength, 0xff), 0, size - 8 - headerLength, 8 + headerLength);
  closeSync(fd);
  assert.equal(statSync(file).size, size);
}

describe("work is never lost", { timeout: RUN_TIMEOUT_MS }, () => {
  const file = recipe();
  const runs = path.join(ws.dir, "runs-kept"); // not the default runs/: the refusal names --runs-dir
  let first = "";

  it("a run's folder and files are private, and its token is gone once it is stopped", async () => {
    const run = await startRun(file, runs, ws.env);
    first = run.dir;
    for (const d of [run.dir, path.join(run.dir, "logs"), path.join(run.dir, "scripts")])
      assert.equal(mode(d), 0o700, d);
    assert.equal(mode(path.join(run.dir, "token")), 0o600);
    // The lock went with the supervisor: a resume now names it; the CLI that took it holds it no more.
    const { pid } = JSON.parse(readFileSync(path.join(run.dir, "supervisor.json"), "utf8")) as { pid: number };
    const busy = await trellis(["resume", path.basename(run.dir), "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(busy.exitCode, 2, busy.stderr);
    assert.match(busy.stderr, new RegExp(`is in use by pid ${pid} \\(trellis supervisor, since `));
    assert.ok(holdsLock(pid, run.dir), "the supervisor does not hold run.lock");
    assert.ok(!holdsLock(run.child.pid!, run.dir), "the CLI still holds run.lock");
    await waitFor(
      () => eventsOf(readEvents(path.join(run.dir, "events.jsonl")), "metrics").length >= 25,
      RUN_TIMEOUT_MS,
      "step 25",
    );
    run.child.kill("SIGINT");
    assert.equal((await run.child).exitCode, 130);
    await assertNoRunProcesses(run.dir);
    assert.ok(!existsSync(path.join(run.dir, "token")), "the token outlived the stopped run");
    assert.ok(!existsSync(path.join(run.dir, "supervisor.json")));
    for (const f of ["events.jsonl", "launch.json", "trellis.log", "logs/orpo.stderr.log"])
      assert.equal(mode(path.join(run.dir, f)), 0o600, f);
    const newest = checkpointsOf(path.join(shared, "orpo"))[0]!;
    assert.equal(mode(path.join(shared, "orpo", newest, "optimizer.pt")), 0o600);
    for (const f of ["events.jsonl", "trellis.log", "supervisor.log", "logs/orpo.stdout.log", "logs/orpo.stderr.log"])
      assert.ok(!readFileSync(path.join(run.dir, f), "utf8").includes(run.token), `the token is in ${f}`);
  });

  it("a supervisor killed with -9: its token is never trusted, and is removed once the run's processes are gone", async () => {
    const runs9 = path.join(ws.dir, "runs-kill9");
    const run = await startRun(longOrpoRecipe(ws.dir), runs9, ws.env);
    const { pid } = JSON.parse(readFileSync(path.join(run.dir, "supervisor.json"), "utf8")) as { pid: number };
    process.kill(pid, "SIGKILL");
    await run.child;
    await waitFor(() => runProcesses(run.dir).length === 0, 120_000, "the orphaned trainer to exit");
    assert.ok(existsSync(path.join(run.dir, "token")), "nothing could remove it yet");
    const listed = await trellis(["ls", "--runs-dir", runs9], { cwd: ws.dir, env: ws.env });
    assert.equal(listed.exitCode, 0, listed.stderr);
    assert.ok(!existsSync(path.join(run.dir, "token")), "the dead supervisor's token was kept");
    assert.ok(!existsSync(path.join(run.dir, "supervisor.json")));
  });

  it("a second run on the same output folder is refused by check and run, naming the owner and the way out", async () => {
    const id = path.basename(first);
    const expected = new RegExp(
      `output_dir: .*shared-out belongs to run ${id} .*trellis resume ${id} --runs-dir ${runs}\`, or set another output_dir`,
    );
    const checked = await trellis(["check", file], { cwd: ws.dir, env: ws.env });
    assert.equal(checked.exitCode, 2);
    assert.match(checked.stderr.replace(/\n/g, " "), expected);
    const before = readdirSync(path.join(shared, "orpo")).sort();
    const second = await trellis(["run", file, "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal(second.exitCode, 2, second.stderr);
    assert.match(second.stderr.replace(/\n/g, " "), expected);
    assert.deepEqual(runDirs(runs), [first], "the refused run left a run folder");
    assert.deepEqual(readdirSync(path.join(shared, "orpo")).sort(), before, "the first run's checkpoints changed");
  });

  it("a folder holding a model trellis did not write is refused", async () => {
    const foreign = path.join(ws.dir, "someone-elses-model");
    mkdirSync(foreign);
    writeFileSync(path.join(foreign, "config.json"), "{}");
    writeFileSync(path.join(foreign, "model.safetensors"), "weights");
    const other = path.join(ws.dir, "foreign.yaml");
    writeFileSync(other, readFileSync(file, "utf8").replace(shared, foreign));
    const checked = await trellis(["check", other], { cwd: ws.dir, env: ws.env });
    assert.equal(checked.exitCode, 2);
    assert.match(checked.stderr, /someone-elses-model already holds a model trellis did not write \(config\.json/);
  });

  it("a checkpoint whose weights are NaN (its digest consistent, as a diverged run saves it) is refused when loaded", async () => {
    const out = path.join(shared, "orpo");
    const newest = checkpointsOf(out)[0]!;
    const weightsFile = path.join(out, newest, "model.safetensors");
    const markerFile = path.join(out, newest, "trellis-checkpoint.json");
    const [weights, marker] = [readFileSync(weightsFile), readFileSync(markerFile)];
    damageInPlace(weightsFile);
    const recorded = JSON.parse(marker.toString("utf8")) as { files: Record<string, { sha256: string }> };
    recorded.files["model.safetensors"]!.sha256 = createHash("sha256").update(readFileSync(weightsFile)).digest("hex");
    writeFileSync(markerFile, JSON.stringify(recorded));

    const id = path.basename(first);
    const refused = await trellis(["resume", id, "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal(refused.exitCode, 1, refused.stderr);
    const end = eventsOf(readEvents(path.join(first, "events.jsonl")), "run_end").at(-1)!;
    assert.equal(end.status, "failed");
    assert.match(end.reason!, /NonFiniteWeights: the checkpoint resumed at step \d+ has NaN or infinite values in '/);
    await assertNoRunProcesses(first);
    // As it was: the next test damages it another way.
    writeFileSync(weightsFile, weights);
    writeFileSync(markerFile, marker);
  });

  it("two resumes at once: one runs; the other names the holder and touches nothing; a damaged checkpoint is skipped", async () => {
    const out = path.join(shared, "orpo");
    const [newest, older] = checkpointsOf(out);
    assert.ok(newest && older, `two checkpoints kept: ${checkpointsOf(out).join(", ")}`);
    damageInPlace(path.join(out, newest, "model.safetensors"));

    const id = path.basename(first);
    const resumedBefore = eventsOf(readEvents(path.join(first, "events.jsonl")), "run_resumed").length;
    const resume = () => trellis(["resume", id, "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
    const [a, b] = await Promise.all([resume(), resume()]);
    const [won, lost] = a.exitCode === 0 ? [a, b] : [b, a];
    assert.equal(won.exitCode, 0, won.stderr);
    assert.equal(lost.exitCode, 2, lost.stderr);
    assert.match(
      lost.stderr,
      new RegExp(`${id} is in use by pid \\d+ \\(trellis (resume|supervisor), since .*\\): attach`),
    );
    await assertNoRunProcesses(first);

    const events = readEvents(path.join(first, "events.jsonl"));
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
      "one numbering, no duplicates",
    );
    assert.equal(eventsOf(events, "run_resumed").length, resumedBefore + 1, "one resume ran");
    const notices = eventsOf(events, "notice")
      .map((n) => n.message)
      .join("\n");
    assert.match(notices, new RegExp(`skipping ${newest}: model\\.safetensors does not match its recorded sha256`));
    assert.match(notices, new RegExp(`resuming stage 'orpo' from ${older}`));
    assert.equal(eventsOf(events, "run_end").at(-1)?.status, "finished");
    assert.ok(allFinite(path.join(out, "model.safetensors")), "the final weights are not all finite");
    for (const c of checkpointsOf(out)) assert.ok(allFinite(path.join(out, c, "model.safetensors")), c);
    assert.ok(!existsSync(path.join(first, "token")), "the token outlived the finished run");
    assert.equal(mode(first), 0o700);
  });

  it("reproduce of a run with its own output_dir writes under the reproduction's run folder, never over the original's", async () => {
    const id = path.basename(first);
    const weights = () => readFileSync(path.join(shared, "orpo", "model.safetensors"));
    const before = weights();
    const again = await trellis(["reproduce", id, "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal(again.exitCode, 0, again.stderr.slice(-3000));
    assert.match(again.stderr, /its models go under the reproduction's own run folder, not .*shared-out/);
    const report = JSON.parse(again.stdout.trim().split("\n").at(-1)!) as { reproduction: string; identical: boolean };
    assert.equal(report.identical, true, again.stderr.slice(-3000));
    assert.ok(existsSync(path.join(runs, report.reproduction, "output", "orpo", "model.safetensors")));
    assert.ok(weights().equals(before), "the original's model was written over");
  });
});
