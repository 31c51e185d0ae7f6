/**
 * The supervisor's websocket against a real run: reconnects lose nothing and duplicate nothing,
 * and hostile clients are refused while a legitimate one keeps receiving events.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import WebSocket from "ws";
import { followRun } from "../../src/adapters/ws-client.js";
import type { RunEvent } from "../../src/core/events/protocol.js";
import { readEvents, RUN_TIMEOUT_MS, workspace } from "../helpers/cli.js";
import { longOrpoRecipe, startRun, waitFor } from "../helpers/live-run.js";

const ws = workspace("websocket");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const eventsFile = (dir: string) => path.join(dir, "events.jsonl");

/** One raw connection: hello with `lastSeq`, collect events until closed or dropped. */
function connect(
  url: string,
  token: string,
  lastSeq: number,
  onEvent: (e: RunEvent) => void,
  headers: Record<string, string> = {},
) {
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}`, ...headers } });
  const closed = new Promise<{ code: number; status?: number }>((resolve) => {
    socket.on("close", (code) => resolve({ code }));
    socket.on("unexpected-response", (_req, res) => {
      resolve({ code: -1, status: res.statusCode });
      socket.terminate();
    });
    socket.on("error", () => resolve({ code: -2 }));
  });
  socket.on("open", () => socket.send(JSON.stringify({ type: "hello", token, last_seq: lastSeq })));
  socket.on("message", (data) => {
    const m = JSON.parse((data as Buffer).toString("utf8")) as { kind: string; event?: RunEvent };
    if (m.kind === "event") onEvent(m.event!);
  });
  return { socket, closed };
}

describe("websocket", { timeout: RUN_TIMEOUT_MS }, () => {
  it("a client that drops and reconnects 100 times ends with every event exactly once, in order", async () => {
    const run = await startRun(longOrpoRecipe(ws.dir), path.join(ws.dir, "runs-reconnect"), ws.env);
    const received: RunEvent[] = [];
    const problems: string[] = [];
    const take = (e: RunEvent) => {
      const expected = (received.at(-1)?.seq ?? 0) + 1;
      if (e.seq !== expected) problems.push(`got seq ${e.seq}, expected ${expected}`);
      else received.push(e);
    };
    for (let i = 0; i < 100; i++) {
      const c = connect(run.url, run.token, received.at(-1)?.seq ?? 0, take);
      await sleep(10 + Math.random() * 90); // a random moment: during replay, live, or the handshake
      c.socket.terminate();
      await c.closed;
    }
    // Then stay until the end of the run.
    const last = connect(run.url, run.token, received.at(-1)?.seq ?? 0, take);
    await waitFor(() => received.at(-1)?.type === "run_end", RUN_TIMEOUT_MS, "run_end");
    last.socket.close();
    assert.deepEqual(problems, []);
    assert.equal((await run.child).exitCode, 0);
    const onDisk = readEvents(eventsFile(run.dir));
    assert.deepEqual(received, onDisk);
    assert.ok(onDisk.filter((e) => e.type === "metrics").length >= 100, "the run was long enough to matter");
  });

  it("refuses bad clients while a legitimate client keeps receiving every event", async () => {
    const run = await startRun(longOrpoRecipe(ws.dir, 4), path.join(ws.dir, "runs-abuse"), ws.env);
    const legit: RunEvent[] = [];
    const follower = followRun({ url: run.url, token: run.token, onEvent: (e) => legit.push(e) });
    await waitFor(() => legit.length > 0, 30_000, "first event");

    const refused = async (token: string, headers: Record<string, string> = {}) =>
      (await connect(run.url, token, 0, () => assert.fail("a refused client got an event"), headers).closed).status;
    assert.equal(await refused(""), 401, "no token");
    assert.equal(await refused("0".repeat(64)), 401, "wrong token");
    assert.equal(await refused(run.token, { origin: "https://evil.example" }), 403, "an Origin header");
    assert.equal(await refused(run.token, { host: "evil.example:80" }), 421, "a foreign Host header");

    const closeCodeAfter = async (payload: string | Buffer, binary = false) => {
      const c = connect(run.url, run.token, 1_000_000, () => {});
      await new Promise((r) => c.socket.once("open", r));
      c.socket.send(payload, { binary });
      return (await c.closed).code;
    };
    assert.equal(await closeCodeAfter("x".repeat(64 * 1024)), 1009, "an oversized message");
    assert.equal(await closeCodeAfter(Buffer.from([0xff, 0x00, 0xfe, 0x13]), true), 1008, "garbage bytes");
    assert.equal(await closeCodeAfter("{not json"), 1008, "malformed JSON");
    assert.equal(
      await closeCodeAfter(JSON.stringify({ type: "command", command: "rm -rf" })),
      1008,
      "an unknown command",
    );

    // A hello without the token, on a connection that got past the upgrade with it.
    const sneaky = new WebSocket(run.url, { headers: { authorization: `Bearer ${run.token}` } });
    await new Promise((r) => sneaky.once("open", r));
    sneaky.send(JSON.stringify({ type: "hello", token: "wrong", last_seq: 0 }));
    assert.equal(await new Promise((r) => sneaky.once("close", r)), 1008);

    const { ended } = await follower.done;
    assert.ok(ended, "the legitimate client saw the run end");
    assert.equal((await run.child).exitCode, 0, "the run was not disturbed");
    assert.deepEqual(legit, readEvents(eventsFile(run.dir)));
  });

  it("the token file exists only while the run runs (its mode 0600 then: test/integration/work-kept.test.ts)", () => {
    const runs = path.join(ws.dir, "runs-abuse");
    const dir = readdirSync(runs)[0]!;
    assert.ok(!existsSync(path.join(runs, dir, "token")), "the token outlived the run");
  });
});
