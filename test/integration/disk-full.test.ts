/**
 * Work is never lost to a full disk or a damaged events.jsonl. A real run on a small tmpfs whose
 * disk is filled mid-training records `disk_full` with its numbers, stops the trainer, ends
 * supervisor.log with its line, and resumes to the end once space is freed. A run whose
 * events.jsonl has a damaged line and a last line cut off mid-write (a supervisor that died as
 * the disk filled) is still read by `logs`, `ls`, `resume` and, while it runs again, `attach`:
 * every other event, one notice per bad line, a normal exit.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { execa } from "execa";
import { BIN, eventsOf, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";
import { assertNoRunProcesses, startRun, waitFor } from "../helpers/live-run.js";

const ws = workspace("disk-full");

/** The quickstart made longer, a loss at every step and a checkpoint every 10 steps. */
function recipe(epochs: number): string {
  const text = readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8")
    .replace(/num_train_epochs: \d+/, `num_train_epochs: ${epochs}`)
    .replace(/logging_steps: \d+/, "logging_steps: 1")
    .replace('save_strategy: "no"', "save_strategy: steps\n      save_steps: 10")
    .replace(/data\//g, `${path.join(RECIPES, "data")}/`);
  const file = path.join(ws.dir, `resumable-${epochs}.yaml`);
  writeFileSync(file, text);
  return file;
}

const metricsSteps = (dir: string) =>
  readFileSync(path.join(dir, "events.jsonl"), "utf8").split('"type":"metrics"').length - 1;

/** Writes to `dir` until its disk refuses another byte. */
function fillDisk(dir: string): string {
  const filler = path.join(dir, "filler");
  for (const chunk of [1 << 20, 1 << 12, 1]) {
    try {
      for (;;) appendFileSync(filler, Buffer.alloc(chunk, 1));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
    }
  }
  return filler;
}

describe("a full disk and a damaged events.jsonl", { timeout: RUN_TIMEOUT_MS }, () => {
  it("the disk fills during training: disk_full recorded, supervisor.log ends with its line, resume runs to the end", async (t) => {
    const small = path.join(ws.dir, "small-disk");
    mkdirSync(small);
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", small], { stdio: "ignore" });
    } catch {
      t.skip("mounting a tmpfs needs root: the full disk is covered by test/adapters/event-file.test.ts only");
      return;
    }
    after(() => execFileSync("umount", ["-l", small]));
    const runs = path.join(small, "runs");
    const run = await startRun(recipe(3), runs, ws.env);
    await waitFor(() => metricsSteps(run.dir) >= 15, RUN_TIMEOUT_MS, "step 15");
    const filler = fillDisk(small);
    const result = await run.child;
    assert.equal(result.exitCode, 1, String(result.stderr));
    await assertNoRunProcesses(run.dir);

    // Every line whole (readEvents parses each strictly), the full disk told with its numbers.
    const id = path.basename(run.dir);
    const events = readEvents(path.join(run.dir, "events.jsonl"));
    const full = eventsOf(events, "notice").find((n) => n.code === "disk_full");
    assert.ok(full, "a disk_full notice");
    assert.match(
      full.message,
      /^the disk is full \(ENOSPC: \d+(\.\d+)? [KM]?B free\) writing event \d+ \(\w+\) to .*events\.jsonl; stopping the trainer$/,
    );
    assert.equal(eventsOf(events, "diagnosis")[0]?.cause, "disk_full");
    const end = eventsOf(events, "run_end").at(-1)!;
    assert.equal(end.status, "failed");
    assert.match(end.reason!, /stage 'orpo' failed: .*the disk is full .*Fix: free space .*trellis resume /);
    const log = readFileSync(path.join(run.dir, "supervisor.log"), "utf8").trimEnd().split("\n");
    assert.match(
      log.at(-1)!,
      new RegExp(`trellis supervisor: .* the disk is full .*; once space is freed: trellis resume ${id}$`),
    );
    assert.ok(!existsSync(path.join(run.dir, ".disk-reserve")), "the reserve is not left behind");

    rmSync(filler);
    const resumed = await trellis(["resume", id, "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal(resumed.exitCode, 0, resumed.stderr);
    const after_ = readEvents(path.join(run.dir, "events.jsonl"));
    assert.deepEqual(
      after_.map((e) => e.seq),
      after_.map((_, i) => i + 1),
      "one numbering across the resume",
    );
    assert.equal(eventsOf(after_, "run_end").at(-1)?.status, "finished");
    assert.ok(existsSync(path.join(run.dir, "output", "orpo", "model.safetensors")));
  });

  it("a damaged line and a cut last line: logs and ls go on, resume runs, attach shows every other event", async () => {
    const runs = path.join(ws.dir, "runs-damaged");
    const run = await startRun(recipe(8), runs, ws.env);
    await waitFor(() => metricsSteps(run.dir) >= 12, RUN_TIMEOUT_MS, "step 12");
    run.child.kill("SIGINT");
    assert.equal((await run.child).exitCode, 130);
    await assertNoRunProcesses(run.dir);

    // A supervisor that died mid-write: its last line (run_end) cut in half. And line 5 damaged in place.
    const file = path.join(run.dir, "events.jsonl");
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    const cutLine = lines.length;
    const bytes = (ls: string[]) => Buffer.byteLength(ls.map((l) => `${l}\n`).join(""));
    truncateSync(file, bytes(lines.slice(0, -1)) + Math.floor(lines.at(-1)!.length / 2));
    const damaged = Buffer.alloc(Buffer.byteLength(lines[4]!), "#");
    damaged.write('{"damaged');
    const fd = openSync(file, "r+");
    writeSync(fd, damaged, 0, damaged.length, bytes(lines.slice(0, 4)));
    closeSync(fd);
    const good = lines.length - 2;
    const id = path.basename(run.dir);
    const notices = (stderr: string) => stderr.split("\n").filter((l) => /events\.jsonl: line \d+: /.test(l));

    const logs = await trellis(["logs", id, "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
    assert.equal(logs.exitCode, 0, logs.stderr);
    // Every event but the two bad lines (logs leaves out the trainer's echo of its metrics, as always).
    const shownByLogs = new Set(
      logs.stdout
        .trimEnd()
        .split("\n")
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    );
    const kept = lines
      .slice(0, -1)
      .filter((_, i) => i !== 4)
      .map((l) => JSON.parse(l) as { seq: number; type: string });
    assert.equal(kept.length, good);
    for (const e of kept)
      if (e.type !== "output") assert.ok(shownByLogs.has(e.seq), `event ${e.seq} (${e.type}) shown`);
    assert.ok(!shownByLogs.has(5));
    assert.deepEqual(
      notices(logs.stderr).map((l) => l.replace(/.*events\.jsonl: /, "")),
      [
        "line 5: not JSON; skipped",
        `line ${cutLine}: cut off mid-line (the writer stopped mid-write: a full disk or a crash); skipped`,
      ],
    );
    assert.ok(!logs.stderr.includes("#####"), "the raw line is not pasted");

    const ls = await trellis(["ls", "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(ls.exitCode, 0, ls.stderr);
    assert.match(ls.stdout, new RegExp(id));
    assert.equal(notices(ls.stderr).length, 2, ls.stderr);

    // Resume in the background; attach to it while it runs.
    const resume = execa(process.execPath, [BIN, "resume", id, "--runs-dir", runs, "--json"], {
      cwd: ws.dir,
      env: ws.env,
      reject: false,
      stdin: "ignore",
    });
    await waitFor(() => existsSync(path.join(run.dir, "supervisor.json")), RUN_TIMEOUT_MS, "the resumed supervisor");
    const attach = await trellis(["attach", id, "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env });
    const resumed = await resume;
    assert.equal(resumed.exitCode, 0, String(resumed.stderr));
    assert.equal(attach.exitCode, 0, attach.stderr);
    assert.equal(notices(attach.stderr).length, 2, attach.stderr);
    assert.match(attach.stderr, /line 5: not JSON; skipped/);
    const shown = attach.stdout
      .trimEnd()
      .split("\n")
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    const final = readFileSync(file, "utf8").trimEnd().split("\n");
    const valid = final.flatMap((l) => {
      try {
        return [(JSON.parse(l) as { seq: number }).seq];
      } catch {
        return [];
      }
    });
    assert.deepEqual(shown, valid, "attach shows every event but the two bad lines");
    assert.equal(JSON.parse(final[cutLine]!).type, "run_resumed", "the resumed events start on a fresh line");
    assert.equal(eventsOf(readEventsTolerant(file), "run_end").at(-1)?.status, "finished");
  });
});

function readEventsTolerant(file: string) {
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as ReturnType<typeof readEvents>[number]];
      } catch {
        return [];
      }
    });
}
