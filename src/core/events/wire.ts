/**
 * The websocket protocol between a run's supervisor and its viewers (see docs/protocol.md).
 * Client: `hello` (token, last sequence number it has), then `command`s. Server: a `welcome`
 * with a state snapshot, every event after the client's last one (`replayed` marks the end of
 * the history), then live events and periodic heartbeats. Both ends validate with these schemas.
 * In the history, events of an earlier attempt (before the latest `run_resumed`) carry
 * `history: true`; a line of events.jsonl that is not an event is replaced by one `skipped`
 * notice, whose `last_seq` lets the viewer pass over the seqs missing from the file.
 */
import { z } from "zod";

export const PROTOCOL_VERSION = 1;
/** Client messages are tiny; anything bigger is abuse (ws closes with 1009). */
export const MAX_CLIENT_MESSAGE_BYTES = 4 * 1024;
export const HEARTBEAT_MS = 5_000;

export const COMMANDS = ["stop", "checkpoint", "detach"] as const;
export type Command = (typeof COMMANDS)[number];

const ClientMessage = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("hello"),
      token: z.string().max(256),
      last_seq: z.number().int().min(0),
      protocol: z.number().int().optional(),
    })
    .strict(),
  z.object({ type: z.literal("command"), command: z.enum(COMMANDS) }).strict(),
]);
type ClientMessage = z.infer<typeof ClientMessage>;

/** Server messages carry `kind` so they never clash with an event's own `type`. */
export type ServerMessage =
  | { kind: "welcome"; protocol: number; run_id: string; last_seq: number; snapshot: unknown }
  | { kind: "event"; event: { seq: number; type: string } & Record<string, unknown>; history?: boolean }
  | { kind: "skipped"; message: string; last_seq: number }
  | { kind: "replayed"; last_seq: number }
  | { kind: "heartbeat"; time: number; last_seq: number }
  | { kind: "ack"; command: Command }
  | { kind: "error"; message: string };

const ServerMessageSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("welcome"),
    protocol: z.number(),
    run_id: z.string(),
    last_seq: z.number(),
    snapshot: z.unknown(),
  }),
  z.object({
    kind: z.literal("event"),
    event: z.object({ seq: z.number().int(), type: z.string() }).loose(),
    history: z.boolean().optional(),
  }),
  z.object({ kind: z.literal("skipped"), message: z.string(), last_seq: z.number().int() }),
  z.object({ kind: z.literal("replayed"), last_seq: z.number() }),
  z.object({ kind: z.literal("heartbeat"), time: z.number(), last_seq: z.number() }),
  z.object({ kind: z.literal("ack"), command: z.enum(COMMANDS) }),
  z.object({ kind: z.literal("error"), message: z.string() }),
]);

export function parseClientMessage(text: string): ClientMessage | undefined {
  try {
    const parsed = ClientMessage.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function parseServerMessage(text: string): ServerMessage | undefined {
  try {
    const parsed = ServerMessageSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
