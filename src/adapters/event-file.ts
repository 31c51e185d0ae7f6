/**
 * Reading a run's events.jsonl back: the history a reconnecting viewer missed. Line n holds the
 * event with seq n (the supervisor numbers events as it appends them), so replay from a sequence
 * number is a forward scan from a remembered byte offset, never the whole file in memory.
 */
import { createReadStream, openSync, readSync, closeSync, statSync } from "node:fs";
import { LineDecoder } from "../core/events/line-decoder.js";
import { decodeRunEvent, type RunEvent } from "../core/events/protocol.js";
import { TrellisError } from "../core/errors.js";

/** Remember the byte offset of every Nth event: a small index however long the run. */
const INDEX_EVERY = 1024;

export class EventFileIndex {
  /** offsets[k] = byte offset where the event with seq k*INDEX_EVERY+1 starts. */
  private readonly offsets: number[] = [0];
  private bytes = 0;
  private count = 0;

  /** Call for every line appended, in order (`bytes` includes its newline). */
  appended(bytes: number): void {
    this.bytes += bytes;
    this.count += 1;
    if (this.count % INDEX_EVERY === 0) this.offsets.push(this.bytes);
  }

  /** Byte offset to start scanning from, and the seq of the event there. */
  startFor(afterSeq: number): { offset: number; seq: number } {
    const k = Math.min(Math.floor(afterSeq / INDEX_EVERY), this.offsets.length - 1);
    return { offset: this.offsets[k]!, seq: k * INDEX_EVERY + 1 };
  }

  /** Builds the index of an existing file (a supervisor serving a finished run). */
  static ofFile(file: string): EventFileIndex {
    const index = new EventFileIndex();
    const fd = openSync(file, "r");
    try {
      const buf = Buffer.alloc(1 << 16);
      let pos = 0;
      let lineBytes = 0;
      for (let n = readSync(fd, buf, 0, buf.length, pos); n > 0; n = readSync(fd, buf, 0, buf.length, pos)) {
        for (let i = 0; i < n; i++) {
          lineBytes++;
          if (buf[i] === 0x0a) {
            index.appended(lineBytes);
            lineBytes = 0;
          }
        }
        pos += n;
      }
    } finally {
      closeSync(fd);
    }
    return index;
  }
}

/** Streams the events with seq in (afterSeq, uptoSeq] to `onEvent`, in order. */
export async function replayEvents(
  file: string,
  index: EventFileIndex,
  afterSeq: number,
  uptoSeq: number,
  onEvent: (line: string, seq: number) => void | Promise<void>,
): Promise<void> {
  if (uptoSeq <= afterSeq) return;
  const start = index.startFor(afterSeq);
  const size = statSync(file).size;
  if (start.offset >= size) return;
  const decoder = new LineDecoder();
  let seq = start.seq;
  const stream = createReadStream(file, { start: start.offset, highWaterMark: 1 << 16 });
  try {
    for await (const chunk of stream) {
      for (const line of decoder.push(chunk as Buffer)) {
        if (line !== null && seq > afterSeq && seq <= uptoSeq) await onEvent(line, seq);
        seq++;
        if (seq > uptoSeq) return;
      }
    }
  } finally {
    stream.destroy();
  }
}

/** A line of events.jsonl that is not an event of the protocol: the file, its line and why. */
export class EventFileError extends TrellisError {}

/** One line of events.jsonl (line `n`, from 1), parsed with the protocol's schema. */
export function decodeEventLine(file: string, n: number, line: string): RunEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new EventFileError(`${file}: line ${n}: not JSON`);
  }
  const decoded = decodeRunEvent(value);
  if (!decoded.ok) throw new EventFileError(`${file}: line ${n}: ${decoded.error}`);
  return decoded.event;
}

/** All events of a file (small runs, tests, `trellis logs`), each validated. */
export async function readAllEvents(file: string): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  const decoder = new LineDecoder();
  let n = 0;
  const take = (line: string | null) => {
    n++;
    if (line) events.push(decodeEventLine(file, n, line));
  };
  for await (const chunk of createReadStream(file)) for (const line of decoder.push(chunk as Buffer)) take(line);
  for (const line of decoder.end()) take(line);
  return events;
}
