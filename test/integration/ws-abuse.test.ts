/**
 * Abuse of a real run's websocket: 1,000 bad connection attempts and 10,000 malformed messages,
 * sent while the stage trains, change nothing. The run finishes, events.jsonl is complete, and a
 * legitimate client that stays connected throughout receives every event exactly as recorded.
 * All traffic goes to the supervisor on 127.0.0.1; every loop is bounded in count and time.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import path from "node:path";
import { describe, it } from "node:test";
import WebSocket from "ws";
import { followRun } from "../../src/adapters/ws-client.js";
import type { RunEvent } from "../../src/core/events/protocol.js";
import { eventsOf, readEvents, RUN_TIMEOUT_MS, workspace } from "../helpers/cli.js";
import { longOrpoRecipe, startRun, waitFor } from "../helpers/live-run.js";

const ws = workspace("ws-abuse");

const BAD_HANDSHAKES = 1_000;
const MALFORMED_CONNECTIONS = 100;
const MESSAGES_PER_CONNECTION = 100;
/** Connections open at once: well under the server's 64 viewers, so none is refused for load. */
const PARALLEL = 16;
/** Each attempt gets this long to be refused or closed; the whole abuse, ABUSE_MS. */
const ATTEMPT_MS = 10_000;
const ABUSE_MS = 180_000;
/** Epochs of the long quickstart: training outlasts the abuse (checked below). */
const EPOCHS = 20;

/** Runs `count` tasks, `limit` at a time, failing if the whole batch takes longer than `ms`. */
async function pool<T>(count: number, limit: number, ms: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const deadline = Date.now() + ms;
  const worker = async () => {
    while (next < count) {
      if (Date.now() > deadline) throw new Error(`abuse took longer than ${ms} ms`);
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

/** Resolves with what ended an attempt, or rejects after ATTEMPT_MS. */
function settle<T>(register: (done: (v: T) => void) => void, cleanup: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => (cleanup(), reject(new Error("an abusive connection was neither refused nor closed"))),
      ATTEMPT_MS,
    );
    register((v) => (clearTimeout(timer), resolve(v)));
  });
}

/** A handshake the server must refuse: resolves with the HTTP status it answered. */
function badHandshake(url: string, headers: Record<string, string>, query = ""): Promise<number | string> {
  const socket = new WebSocket(`${url}/${query}`, { headers });
  return settle(
    (done) => {
      socket.on("unexpected-response", (_req, res) => (done(res.statusCode ?? 0), socket.terminate()));
      socket.on("open", () => (done("opened"), socket.terminate()));
      socket.on("error", (err) => done(`error: ${err.message}`));
    },
    () => socket.terminate(),
  );
}

/** Bytes that are not HTTP at all: the server answers 400 or just closes. */
function rawGarbage(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = tcpConnect(Number(port), hostname);
  return settle(
    (done) => {
      socket.on("connect", () =>
        socket.write(Buffer.from("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n", "latin1")),
      );
      socket.on("data", () => {});
      socket.on("error", () => {});
      socket.on("close", () => done("closed"));
    },
    () => socket.destroy(),
  );
}

/** Opens an authenticated connection, sends `messages` back to back, resolves with the close code. */
function malformedBurst(
  url: string,
  token: string,
  messages: Array<string | Buffer>,
  binary: boolean,
  helloFirst: boolean,
): Promise<number> {
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  return settle(
    (done) => {
      socket.on("open", () => {
        if (helloFirst) socket.send(JSON.stringify({ type: "hello", token, last_seq: 0 }));
        for (const m of messages) socket.send(m, { binary });
      });
      socket.on("message", () => {});
      socket.on("error", () => {});
      socket.on("unexpected-response", (_req, res) => (done(-(res.statusCode ?? 1)), socket.terminate()));
      socket.on("close", (code) => done(code));
    },
    () => socket.terminate(),
  );
}

/** The abuse itself: every bad handshake refused, every malformed connection closed. */
async function abuse(url: string, token: string): Promise<void> {
  // 1,000 bad connection attempts, each refused before the upgrade with the right status.
  const { host } = new URL(url);
  const wrong = "0".repeat(64);
  const attempts: Array<[string, number | string, () => Promise<number | string>]> = [
    ["no token", 401, () => badHandshake(url, {})],
    ["a wrong token", 401, () => badHandshake(url, { authorization: `Bearer ${wrong}` })],
    ["a token one character short", 401, () => badHandshake(url, { authorization: `Bearer ${token.slice(1)}` })],
    ["the token in the query string only", 401, () => badHandshake(url, {}, `?token=${token}`)],
    [
      "basic auth",
      401,
      () => badHandshake(url, { authorization: `Basic ${Buffer.from(`x:${token}`).toString("base64")}` }),
    ],
    [
      "an Origin header (a web page)",
      403,
      () => badHandshake(url, { authorization: `Bearer ${token}`, origin: "https://evil.example" }),
    ],
    [
      "a foreign Host header (DNS rebinding)",
      421,
      () => badHandshake(url, { authorization: `Bearer ${token}`, host: `evil.example:${new URL(url).port}` }),
    ],
    ["not HTTP at all", "closed", () => rawGarbage(url)],
  ];
  assert.ok(host.startsWith("127.0.0.1:"), "traffic stays on the loopback interface");
  const refused = await pool(BAD_HANDSHAKES, PARALLEL, ABUSE_MS, async (i) => {
    const [what, expected, attempt] = attempts[i % attempts.length]!;
    const got = await attempt();
    return got === expected ? null : `${what}: expected ${expected}, got ${got}`;
  });
  assert.deepEqual(refused.filter(Boolean), [], "every bad handshake is refused");

  // 10,000 malformed messages: 100 authenticated connections, 100 messages each sent back to back.
  // Frame-level violations make ws fail the connection: the server sends the close frame and
  // drops the socket at once, so a client still sending may see 1006 (abnormal) instead.
  const FRAME_ERROR = [1006];
  const kinds: Array<[string, number, string | Buffer, { binary?: boolean; helloFirst?: boolean; or?: number[] }?]> = [
    ["broken JSON", 1008, "{not json"],
    ["an empty message", 1008, ""],
    ["JSON that is not an object", 1008, "null"],
    ["an array", 1008, "[1,2,3]"],
    ["binary garbage", 1008, Buffer.from([0xff, 0x00, 0xfe, 0x13]), { binary: true }],
    ["invalid UTF-8 in a text frame", 1007, Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), { or: FRAME_ERROR }],
    ["an oversized message", 1009, "x".repeat(5 * 1024), { or: FRAME_ERROR }],
    ["a hello with a wrong token", 1008, JSON.stringify({ type: "hello", token: wrong, last_seq: 0 })],
    ["a hello with a negative last_seq", 1008, JSON.stringify({ type: "hello", token, last_seq: -1 })],
    ["a hello with extra fields", 1008, JSON.stringify({ type: "hello", token, last_seq: 0, admin: true })],
    ["a stop command before hello", 1008, JSON.stringify({ type: "command", command: "stop" })],
    ["an unknown command", 1008, JSON.stringify({ type: "command", command: "rm -rf /" })],
    [
      "prototype pollution",
      1008,
      '{"__proto__":{"type":"hello","token":"x"},"constructor":{"prototype":{"polluted":true}}}',
    ],
    ["deep nesting", 1008, `${"[".repeat(2000)}${"]".repeat(2000)}`],
    ["garbage after a valid hello", 1008, "{not json", { helloFirst: true }],
  ];
  let sent = 0;
  const closes = await pool(MALFORMED_CONNECTIONS, PARALLEL, ABUSE_MS, async (i) => {
    const [what, expected, payload, opts] = kinds[i % kinds.length]!;
    const messages = Array.from({ length: MESSAGES_PER_CONNECTION }, () => payload);
    sent += messages.length;
    const code = await malformedBurst(url, token, messages, opts?.binary ?? false, opts?.helloFirst ?? false);
    return code === expected || opts?.or?.includes(code) ? null : `${what}: expected close ${expected}, got ${code}`;
  });
  assert.equal(sent, MALFORMED_CONNECTIONS * MESSAGES_PER_CONNECTION);
  assert.deepEqual(closes.filter(Boolean), [], "each malformed connection is closed with the right code");
}

describe("websocket abuse during a real run", { timeout: RUN_TIMEOUT_MS }, () => {
  it("1,000 bad handshakes and 10,000 malformed messages leave the run and a legitimate client unaffected", async () => {
    const run = await startRun(longOrpoRecipe(ws.dir, EPOCHS), path.join(ws.dir, "runs"), ws.env);
    const eventsFile = path.join(run.dir, "events.jsonl");
    const legit: RunEvent[] = [];
    let reconnects = 0;
    const follower = followRun({
      url: run.url,
      token: run.token,
      onEvent: (e) => legit.push(e),
      onReconnect: () => reconnects++,
    });
    await waitFor(() => legit.some((e) => e.type === "metrics"), RUN_TIMEOUT_MS, "training to start");
    const metricsBefore = eventsOf(readEvents(eventsFile), "metrics").length;
    try {
      await abuse(run.url, run.token);
    } catch (err) {
      // Leave no run behind a failed test: stop it, and wait (bounded) for it to end.
      follower.send("stop");
      await Promise.race([follower.done, new Promise((r) => setTimeout(r, 60_000))]);
      throw err;
    }

    // All of it happened while the stage was training.
    const during = readEvents(eventsFile);
    assert.equal(eventsOf(during, "run_end").length, 0, `the run outlasted the abuse (raise EPOCHS if not)`);
    assert.ok(eventsOf(during, "metrics").length > metricsBefore, "training went on during the abuse");

    const { ended } = await follower.done;
    assert.ok(ended, "the legitimate client saw the run end");
    assert.equal(reconnects, 0, "the legitimate client was never dropped");
    assert.equal((await run.child).exitCode, 0, "the run was not disturbed");
    const onDisk = readEvents(eventsFile);
    assert.equal((onDisk.at(-1) as Extract<RunEvent, { type: "run_end" }>).status, "finished");
    assert.deepEqual(
      onDisk.map((e) => e.seq),
      onDisk.map((_, i) => i + 1),
      "events.jsonl is complete: 1..n with no gap",
    );
    assert.deepEqual(legit, onDisk, "the legitimate client received every event, as recorded");
    rmSync(ws.dir, { recursive: true, force: true }); // kept when the test fails, to look at
  });
});
