/**
 * events.jsonl read back and appended to when it is damaged: a damaged line and a last line cut
 * off mid-write are skipped with one notice each (file and line number, never the line's text),
 * over a real websocket too, where the replay sends parsed events only; earlier attempts of a
 * resumed run are marked as history; the appender starts on a fresh line after a cut one and,
 * on a really full disk (a small tmpfs), holds what does not fit and writes it on whole later.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { EventAppender } from "../../src/adapters/event-appender.js";
import { EventFileIndex, readAllEvents } from "../../src/adapters/event-file.js";
import { startEventServer } from "../../src/adapters/ws-server.js";
import { followRun } from "../../src/adapters/ws-client.js";
import type { RunEvent } from "../../src/core/events/protocol.js";

const dir = mkdtempSync(path.join(tmpdir(), "trellis-event-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const notice = (seq: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: "notice", time: 1000 + seq, code: "test", message: `event ${seq}`, seq, ...extra });
const resumed = (seq: number) =>
  JSON.stringify({ type: "run_resumed", time: 1000 + seq, stage: "orpo", checkpoint: null, seq });
const SECRET = "SECRET-TEXT-OF-THE-DAMAGED-LINE";

/** Events 1..n, one per line, with line 5 damaged in place and a last line cut off mid-write. */
function damagedFile(name: string, n = 12): string {
  const lines = Array.from({ length: n }, (_, i) => notice(i + 1));
  lines[4] = `{"type":"notice","message":"${SECRET}`; // line 5: not JSON
  const file = path.join(dir, name);
  writeFileSync(file, `${lines.join("\n")}\n${notice(n + 1).slice(0, 30)}`);
  return file;
}

describe("readAllEvents", () => {
  it("skips a damaged line and a cut last line with one notice each, naming the file and line", async () => {
    const file = damagedFile("read.jsonl");
    const notices: string[] = [];
    const events = await readAllEvents(file, (n) => notices.push(n));
    assert.deepEqual(
      events.map((e) => e.seq),
      [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12],
    );
    assert.equal(notices.length, 2);
    assert.match(notices[0]!, new RegExp(`^${file}: line 5: not JSON; skipped$`));
    assert.match(notices[1]!, new RegExp(`^${file}: line 13: cut off mid-line .*; skipped$`));
    for (const n of notices) assert.ok(!n.includes(SECRET), "the raw line is never pasted");
  });
});

describe("the replay over the websocket", () => {
  async function serve(file: string, lastSeq: number, attemptStart = 0) {
    const server = await startEventServer({
      host: "127.0.0.1",
      token: "t0ken",
      runId: "run",
      eventsFile: file,
      index: EventFileIndex.ofFile(file),
      lastSeq: () => lastSeq,
      attemptStart: () => attemptStart,
      snapshot: () => ({}),
      onCommand: () => {},
    });
    after(() => server.close());
    return server;
  }

  async function follow(url: string, fromSeq = 0) {
    const got: Array<{ event: RunEvent; history: boolean }> = [];
    const skipped: string[] = [];
    const follower = followRun({
      url,
      token: "t0ken",
      fromSeq,
      maxAttempts: 2,
      onEvent: (event, meta) => got.push({ event, history: meta.history }),
      onSkipped: (m) => skipped.push(m),
      onReplayed: () => void follower.stop(),
    });
    const outcome = await Promise.race([
      follower.done,
      new Promise<"hung">((r) => setTimeout(() => r("hung"), 10_000).unref()),
    ]);
    assert.notEqual(outcome, "hung", `the replay hung after ${got.length} events`);
    return { got, skipped };
  }

  it("sends every parsed event and one notice per bad line, and never hangs on the gap", async () => {
    const file = damagedFile("replay.jsonl");
    const server = await serve(file, 12);
    const { got, skipped } = await follow(server.url);
    assert.deepEqual(
      got.map((g) => g.event.seq),
      [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12],
    );
    assert.equal(skipped.length, 1, skipped.join("\n")); // the cut line after `upto` is the live edge
    assert.match(skipped[0]!, /replay\.jsonl: line 5: not JSON; skipped/);
    assert.ok(!skipped[0]!.includes(SECRET));
  });

  it("a resumed run's file: the cut line is passed over, the new events follow on their own lines", async () => {
    // A supervisor died mid-line (seq 7 cut); the resumed one goes on with seq 7 on a fresh line.
    const file = path.join(dir, "resumed-after-cut.jsonl");
    writeFileSync(file, `${[1, 2, 3, 4, 5, 6].map((s) => notice(s)).join("\n")}\n${notice(7).slice(0, 25)}`);
    const index = EventFileIndex.ofFile(file);
    const appender = new EventAppender(file, () => assert.fail("the disk is not full"));
    for (const line of [resumed(7), notice(8), notice(9)]) {
      appender.append(line, () => index.appended(Buffer.byteLength(line) + 1));
    }
    appender.close();
    const lines = readFileSync(file, "utf8").split("\n");
    assert.equal(JSON.parse(lines[7]!).type, "run_resumed", "run_resumed starts line 8, not glued to the cut line");
    const server = await serve(file, 9, 7);
    const { got, skipped } = await follow(server.url);
    assert.deepEqual(
      got.map((g) => g.event.seq),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.deepEqual(skipped, [`${file}: line 7: not JSON; skipped`]);
    // A viewer reconnecting after seq 8 is not told again.
    const again = await follow(server.url, 8);
    assert.deepEqual(
      again.got.map((g) => g.event.seq),
      [9],
    );
    assert.deepEqual(again.skipped, []);
  });

  it("events missing from a long file (dropped on a full disk): said once, and none after them lost", async () => {
    // Seqs 10-19 never reached the file, so from line 10 on each line holds seq = line + 10.
    const file = path.join(dir, "missing.jsonl");
    const seqs = [...Array.from({ length: 9 }, (_, i) => i + 1), ...Array.from({ length: 1100 }, (_, i) => i + 20)];
    writeFileSync(file, `${seqs.map((s) => notice(s)).join("\n")}\n`);
    const server = await serve(file, seqs.at(-1)!);
    const all = await follow(server.url);
    assert.deepEqual(
      all.got.map((g) => g.event.seq),
      seqs,
    );
    assert.deepEqual(all.skipped, [`${file}: events 10-19 are missing`]);
    // From seq 1030: the index points at line 1025 (seq 1035); the seqs before it are still sent.
    const late = await follow(server.url, 1030);
    assert.deepEqual(
      late.got.map((g) => g.event.seq),
      seqs.filter((s) => s > 1030),
    );
    assert.deepEqual(late.skipped, []);
  });

  it("marks the events of earlier attempts as history", async () => {
    // Attempt 1: seq 1-3 (its run_end failed), attempt 2 from seq 4, attempt 3 from seq 7.
    const file = path.join(dir, "attempts.jsonl");
    const end = (seq: number) =>
      JSON.stringify({ type: "run_end", time: 1000 + seq, status: "failed", reason: "boom", seq });
    writeFileSync(
      file,
      `${[notice(1), notice(2), end(3), resumed(4), notice(5), end(6), resumed(7), notice(8)].join("\n")}\n`,
    );
    const server = await serve(file, 8, 7);
    const { got } = await follow(server.url);
    assert.deepEqual(
      got.map((g) => [g.event.seq, g.history]),
      [
        [1, true],
        [2, true],
        [3, true],
        [4, true],
        [5, true],
        [6, true],
        [7, false],
        [8, false],
      ],
    );
  });
});

describe("EventAppender", () => {
  it("holds what a full disk refuses and writes it on, whole and in order, once there is room", (t) => {
    const small = path.join(dir, "small-disk");
    mkdirSync(small);
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", small], { stdio: "ignore" });
    } catch {
      t.skip("mounting a small tmpfs needs root: the full disk is tested in test/integration/disk-full.test.ts");
      return;
    }
    after(() => execFileSync("umount", [small]));
    const file = path.join(small, "events.jsonl");
    // Fill the disk but for a few hundred bytes.
    try {
      for (;;) appendFileSync(path.join(small, "filler"), Buffer.alloc(4096));
    } catch {
      // full
    }
    const fulls: string[] = [];
    const written: number[] = [];
    const appender = new EventAppender(file, (err) => fulls.push(err.code ?? ""));
    for (let seq = 1; seq <= 200; seq++)
      appender.append(notice(seq, { pad: "x".repeat(100) }), () => written.push(seq));
    assert.deepEqual(fulls, ["ENOSPC"], "told once");
    assert.ok(appender.isFull());
    assert.ok(written.length < 200, `${written.length} written`);
    rmSync(path.join(small, "filler"));
    assert.equal(appender.retry(), true);
    appender.close();
    assert.deepEqual(
      written,
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { seq: number }).seq),
      written,
      "every line whole, in order, none glued",
    );
  });
});
