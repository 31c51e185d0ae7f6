/**
 * A viewer's side of the websocket: says hello with the token and the last sequence number it
 * has, then receives history and live events. `followRun` reconnects after a drop, resuming
 * from the last event it delivered, so its consumer sees every event exactly once, in order.
 */
import WebSocket from "ws";
import { parseServerMessage, type Command, type ServerMessage } from "../core/events/wire.js";
import { decodeRunEvent, type RunEvent } from "../core/events/protocol.js";

/** Waits between reconnection attempts: quick first, then patient. */
const RECONNECT_DELAYS_MS = [100, 250, 500, 1000, 2000];

interface RunConnection {
  send(command: Command): void;
  close(): void;
  closed: Promise<{ code: number; reason: string }>;
}

interface ConnectOptions {
  url: string;
  token: string;
  lastSeq: number;
  onMessage: (message: ServerMessage) => void;
}

function connectRun(o: ConnectOptions): RunConnection {
  const ws = new WebSocket(o.url, { headers: { authorization: `Bearer ${o.token}` }, maxPayload: 64 << 20 });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on("error", () => {}); // 'close' follows every error
  });
  ws.on("open", () => ws.send(JSON.stringify({ type: "hello", token: o.token, last_seq: o.lastSeq })));
  ws.on("message", (data) => {
    const message = parseServerMessage((data as Buffer).toString("utf8"));
    if (message) o.onMessage(message);
  });
  return {
    send: (command) => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: "command", command })),
    close: () => ws.close(1000, "bye"),
    closed,
  };
}

interface FollowOptions {
  url: string;
  token: string;
  /** Deliver events after this seq (0: the whole history). */
  fromSeq?: number;
  /** `history`: the event belongs to an earlier attempt of a resumed run (the replay says so). */
  onEvent: (event: RunEvent, meta: { history: boolean }) => void;
  /** A line of the run's events.jsonl that is not an event, skipped by the replay: said once. */
  onSkipped?: (message: string) => void;
  /** An event frame that is not a valid event: its seq and why. */
  onInvalid?: (seq: number, error: string) => void;
  onWelcome?: (message: Extract<ServerMessage, { kind: "welcome" }>) => void;
  onReplayed?: () => void;
  /** Called when a connection drops and a new one is tried. */
  onReconnect?: (attempt: number) => void;
  /** Stop trying after this many failed attempts in a row (the supervisor is gone). */
  maxAttempts?: number;
}

interface Follower {
  send(command: Command): void;
  /** Stops following; resolves when the connection is closed. */
  stop(): Promise<void>;
  /** Resolves when the run ended (run_end delivered) or the server is unreachable. */
  done: Promise<{ ended: boolean; lastSeq: number }>;
  lastSeq(): number;
}

export function followRun(o: FollowOptions): Follower {
  let last = o.fromSeq ?? 0;
  let current: RunConnection | undefined;
  let stopped = false;
  let ended = false;
  let failures = 0;
  const skipped = new Set<string>(); // said once, even when a reconnection replays past it again
  let finish!: (r: { ended: boolean; lastSeq: number }) => void;
  const done = new Promise<{ ended: boolean; lastSeq: number }>((resolve) => (finish = resolve));

  const loop = async () => {
    while (!stopped && !ended) {
      let welcomed = false;
      // A run_end in the history is final only if nothing came after it (a resumed run goes on).
      let replaying = true;
      let welcomeLast = 0;
      current = connectRun({
        url: o.url,
        token: o.token,
        lastSeq: last,
        onMessage: (m) => {
          if (m.kind === "welcome") {
            welcomed = true;
            failures = 0;
            welcomeLast = m.last_seq;
            o.onWelcome?.(m);
          } else if (m.kind === "replayed") {
            replaying = false;
            o.onReplayed?.();
          } else if (m.kind === "skipped") {
            if (!skipped.has(m.message)) {
              skipped.add(m.message);
              o.onSkipped?.(m.message);
            }
            // The seqs up to last_seq that did not come are not in the file: no gap to wait for.
            last = Math.max(last, m.last_seq);
          } else if (m.kind === "event") {
            const { seq } = m.event;
            if (seq <= last) return; // already delivered
            if (seq > last + 1) return current?.close(); // a gap: reconnect and replay from `last`
            last = seq;
            // Parsed with the protocol's one schema. A frame this client cannot read (a newer
            // trellis's event kind) is passed over, counted, so replay never loops on it.
            const decoded = decodeRunEvent(m.event);
            if (!decoded.ok) return void o.onInvalid?.(seq, decoded.error);
            const event = decoded.event;
            o.onEvent(event, { history: m.history === true });
            if (event.type === "run_end" && (!replaying || event.seq >= welcomeLast)) {
              ended = true;
              current?.close();
            }
          }
        },
      });
      await current.closed;
      if (stopped || ended) break;
      if (!welcomed && ++failures >= (o.maxAttempts ?? 20)) break;
      o.onReconnect?.(failures);
      await new Promise((r) => setTimeout(r, RECONNECT_DELAYS_MS[Math.min(failures, RECONNECT_DELAYS_MS.length - 1)]));
    }
    finish({ ended, lastSeq: last });
  };
  void loop();

  return {
    send: (command) => current?.send(command),
    stop: async () => {
      stopped = true;
      current?.close();
      await done;
    },
    done,
    lastSeq: () => last,
  };
}
