/**
 * The supervisor's websocket: authenticated, local by default, replaying history then live
 * events to each viewer with no gap and no duplicate. Policy (docs/protocol.md, docs/design/SAFETY.md):
 * token checked in constant time at the upgrade and in hello; handshakes carrying an Origin
 * are refused unless allowed (a browser page trying to reach the socket); the Host header must
 * name this server; small maxPayload; a bad message closes only that connection.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import {
  HEARTBEAT_MS,
  MAX_CLIENT_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  parseClientMessage,
  type Command,
  type ServerMessage,
} from "../core/events/wire.js";
import { replayEvents, type EventFileIndex } from "./event-file.js";

/** A viewer slower than this much unsent data is dropped; it reconnects with its last seq. */
const MAX_BUFFERED_BYTES = 16 << 20;
/** Viewers at once; more is a flood. */
const MAX_CLIENTS = 64;
/** A connection that has not said hello by then is closed. */
const HELLO_TIMEOUT_MS = 5_000;
/** Commands a client may send per second (a person presses keys; a flood is a bug or abuse). */
const MAX_COMMANDS_PER_SECOND = 20;

interface EventServerOptions {
  host: string;
  port?: number;
  token: string;
  allowOrigins?: string[];
  runId: string;
  eventsFile: string;
  index: EventFileIndex;
  lastSeq: () => number;
  /** The seq of the `run_resumed` that began the running attempt (0: never resumed); older events are history. */
  attemptStart?: () => number;
  snapshot: () => unknown;
  onCommand: (command: Command) => void;
  logger?: Logger;
}

export interface EventServer {
  url: string;
  port: number;
  /** Sends an event (already appended to events.jsonl as `line`) to every live viewer. */
  broadcast(seq: number, line: string): void;
  /** Viewers connected now. */
  viewerCount(): number;
  close(): Promise<void>;
}

interface Viewer {
  ws: WebSocket;
  live: boolean;
  sent: number;
  queue: Array<[number, string]>;
  commands: number[];
}

export const digest = (s: string) => createHash("sha256").update(s).digest();
const tokenMatches = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));

export async function startEventServer(o: EventServerOptions): Promise<EventServer> {
  const http = createServer((_req, res) => {
    res.writeHead(426, { "content-type": "text/plain" }).end("trellis: websocket only\n");
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  const viewers = new Set<Viewer>();
  const log = o.logger;

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(o.port ?? 0, o.host, () => resolve());
  });
  const port = (http.address() as { port: number }).port;
  const allowedHosts = hostsFor(o.host);

  http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, why: string) => {
      log?.warn({ status, why, remote: req.socket.remoteAddress }, "websocket handshake refused");
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\n\r\n`);
      socket.destroy();
    };
    if (allowedHosts && !allowedHosts.has(hostname(req.headers.host ?? ""))) return refuse(421, "Misdirected Request");
    const origin = req.headers.origin;
    if (origin !== undefined && !(o.allowOrigins ?? []).includes(origin)) return refuse(403, "Forbidden");
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    if (!auth || !tokenMatches(auth[1]!, o.token)) return refuse(401, "Unauthorized");
    if (viewers.size >= MAX_CLIENTS) return refuse(503, "Service Unavailable");
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
  });

  function send(v: Viewer, message: ServerMessage | string): void {
    if (v.ws.readyState !== v.ws.OPEN) return;
    if (v.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      v.ws.close(1013, "too slow: reconnect with your last seq");
      return;
    }
    v.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }
  const eventFrame = (line: string, history = false) =>
    `{"kind":"event",${history ? '"history":true,' : ""}"event":${line}}`;

  function accept(ws: WebSocket): void {
    const v: Viewer = { ws, live: false, sent: 0, queue: [], commands: [] };
    let greeted = false;
    const helloTimer = setTimeout(() => ws.close(1008, "no hello"), HELLO_TIMEOUT_MS);
    viewers.add(v);
    ws.on("close", () => {
      clearTimeout(helloTimer);
      viewers.delete(v);
    });
    ws.on("error", () => ws.terminate());
    ws.on("message", (data, isBinary) => {
      const message = isBinary ? undefined : parseClientMessage((data as Buffer).toString("utf8"));
      if (!message) return ws.close(1008, "malformed message");
      if (message.type === "hello") {
        if (greeted || !tokenMatches(message.token, o.token)) return ws.close(1008, "bad hello");
        greeted = true;
        clearTimeout(helloTimer);
        void welcome(v, message.last_seq);
        return;
      }
      if (!greeted) return ws.close(1008, "hello first");
      const now = Date.now();
      v.commands = v.commands.filter((t) => now - t < 1000);
      if (v.commands.push(now) > MAX_COMMANDS_PER_SECOND) return ws.close(1008, "too many commands");
      send(v, { kind: "ack", command: message.command });
      if (message.command === "detach") ws.close(1000, "detached");
      else o.onCommand(message.command);
    });
  }

  async function welcome(v: Viewer, lastSeq: number): Promise<void> {
    const upto = o.lastSeq();
    send(v, { kind: "welcome", protocol: PROTOCOL_VERSION, run_id: o.runId, last_seq: upto, snapshot: o.snapshot() });
    v.sent = lastSeq;
    try {
      const attemptStart = o.attemptStart?.() ?? 0;
      await replayEvents(o.eventsFile, o.index, lastSeq, upto, {
        onEvent: async (line, seq) => {
          send(v, eventFrame(line, seq < attemptStart));
          v.sent = seq;
          if (v.ws.bufferedAmount > MAX_BUFFERED_BYTES / 2) await new Promise((r) => setTimeout(r, 5));
        },
        onSkipped: (message, throughSeq) => {
          log?.warn({ message }, "replay skipped a line of events.jsonl");
          send(v, { kind: "skipped", message, last_seq: throughSeq });
          v.sent = Math.max(v.sent, throughSeq);
        },
      });
    } catch (err) {
      log?.error({ err }, "replay failed");
      v.ws.close(1011, "replay failed");
      return;
    }
    // Events that arrived during the replay were queued; send those not already sent.
    for (const [seq, line] of v.queue) {
      if (seq <= v.sent) continue;
      send(v, eventFrame(line));
      v.sent = seq;
    }
    v.queue = [];
    v.live = true;
    send(v, { kind: "replayed", last_seq: v.sent });
  }

  const heartbeat = setInterval(() => {
    const beat = JSON.stringify({
      kind: "heartbeat",
      time: Date.now() / 1000,
      last_seq: o.lastSeq(),
    } satisfies ServerMessage);
    for (const v of viewers) if (v.live) send(v, beat);
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    url: `ws://${o.host.includes(":") ? `[${o.host}]` : o.host}:${port}`,
    port,
    broadcast(seq, line) {
      const frame = eventFrame(line);
      for (const v of viewers) {
        if (v.live) {
          if (seq > v.sent) {
            send(v, frame);
            v.sent = seq;
          }
        } else v.queue.push([seq, line]);
      }
    },
    viewerCount: () => viewers.size,
    async close() {
      clearInterval(heartbeat);
      for (const v of viewers) v.ws.close(1001, "run ended");
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/**
 * Host names this server answers to; undefined (any) when bound to all interfaces. The port is
 * not checked: an SSH tunnel forwards from another local port, and what DNS rebinding changes is
 * the name.
 */
function hostsFor(host: string): Set<string> | undefined {
  if (host === "0.0.0.0" || host === "::") return undefined;
  return new Set([host.toLowerCase(), ...(isLoopback(host) ? ["localhost", "127.0.0.1", "::1"] : [])]);
}

/** "127.0.0.1:7777" -> "127.0.0.1", "[::1]:80" -> "::1". */
function hostname(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]"));
  return h.split(":")[0]!;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}
