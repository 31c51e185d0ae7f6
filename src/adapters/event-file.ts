/**
 * Reading a run's events.jsonl back: the history a reconnecting viewer missed. Line n holds the
 * event with seq n (the supervisor numbers events as it appends them), so replay from a sequence
 * number is a forward scan from a remembered byte offset, never the whole file in memory.
 */
import { sanitise } from "../core/text/sanitise.js";
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
      // A last line cut off mid-write is a line too: the next append ends it with a newline.
      if (lineBytes) index.appended(lineBytes + 1);
    } finally {
      closeSync(fd);
    }
    return index;
  }
}

/** What a replay hands over: events read whole and validated, and the lines it skipped. */
interface ReplaySink {
  onEvent(line: string, seq: number): void | Promise<void>;
  /**
   * A damaged or cut line, said once (file and line number, never its text). `throughSeq`: every
   * event up to it has been handed over or is not in the file, so a viewer may move on.
   */
  onSkipped(notice: string, throughSeq: number): void | Promise<void>;
}

/**
 * Streams the events with seq in (afterSeq, uptoSeq] to `sink`, in order. Each line is parsed:
 * a line that is not an event (cut off by a full disk, damaged) is skipped with one notice, and
 * the seq of each event is read from the event itself, since after a skipped line the line
 * number no longer equals the seq (it can only exceed it, so the index still starts early enough).
 */
export async function replayEvents(
  file: string,
  index: EventFileIndex,
  afterSeq: number,
  uptoSeq: number,
  sink: ReplaySink,
  start = index.startFor(afterSeq),
): Promise<void> {
  if (uptoSeq <= afterSeq) return;
  const size = statSync(file).size;
  if (start.offset >= size) return;
  const decoder = new LineDecoder();
  let lineNo = start.seq - 1;
  // The newest seq handed over or known to be absent; skipped lines before afterSeq were said already.
  let through = start.offset === 0 ? 0 : -1;
  const pending: string[] = [];
  const stream = createReadStream(file, { start: start.offset, highWaterMark: 1 << 16 });
  try {
    for await (const chunk of stream) {
      for (const line of decoder.push(chunk as Buffer)) {
        lineNo++;
        const read = readLine(file, lineNo, line, false);
        if (!read.ok) {
          if (through >= afterSeq) pending.push(read.notice);
          continue;
        }
        const seq = read.event.seq;
        // Events missing from the file (dropped while a full disk held too many) put later seqs
        // on earlier lines than the index assumes: scan from the start rather than miss any.
        if (through === -1 && seq > afterSeq + 1) {
          stream.destroy();
          return replayEvents(file, index, afterSeq, uptoSeq, sink, { offset: 0, seq: 1 });
        }
        if (seq <= afterSeq) {
          through = seq;
          continue;
        }
        // Lines skipped since the last event (or seqs missing from the file): said, then passed over.
        if (pending.length || seq > Math.max(through, afterSeq) + 1) {
          if (!pending.length)
            pending.push(`${file}: events ${Math.max(through, afterSeq) + 1}-${seq - 1} are missing`);
          for (const notice of pending.splice(0)) await sink.onSkipped(notice, seq - 1);
        }
        through = seq;
        if (seq > uptoSeq) return;
        await sink.onEvent(line!, seq);
        if (seq === uptoSeq) return;
      }
    }
    const last = decoder.end()[0];
    if (last !== undefined) {
      const read = readLine(file, lineNo + 1, last, true);
      if (!read.ok && through >= afterSeq) pending.push(read.notice);
    }
    for (const notice of pending) await sink.onSkipped(notice, Math.max(through, afterSeq));
  } finally {
    stream.destroy();
  }
}

/** A line of events.jsonl that is not an event of the protocol: the file, its line and why. */
class EventFileError extends TrellisError {}

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

type ReadLine = { ok: true; event: RunEvent } | { ok: false; notice: string };

/**
 * One line, or why it is skipped. `unfinished`: the file ends in this line without a newline,
 * the mark of a writer that stopped mid-write (a full disk, a crash); a supervisor still
 * writing it finishes it, so callers pass this only for a file nobody writes.
 */
function readLine(file: string, n: number, line: string | null, unfinished: boolean): ReadLine {
  if (line === null) return { ok: false, notice: `${file}: line ${n}: longer than any event; skipped` };
  try {
    return { ok: true, event: decodeEventLine(file, n, line) };
  } catch (err) {
    const why = unfinished ? "cut off mid-line (the writer stopped mid-write: a full disk or a crash)" : null;
    return { ok: false, notice: `${why ? `${file}: line ${n}: ${why}` : (err as Error).message}; skipped` };
  }
}

/** Where a skipped line is reported when the caller does not say: one line on stderr. */
export const warnOnStderr = (notice: string) => void process.stderr.write(`trellis: ${sanitise(notice)}\n`);

/**
 * All events of a file (small runs, tests, `trellis logs`, resume), each validated. A damaged
 * line, or a last line cut off mid-write, is skipped with one notice to `onSkipped`: one bad
 * line never makes a whole run unreadable.
 */
export async function readAllEvents(
  file: string,
  onSkipped: (notice: string) => void = warnOnStderr,
): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  const decoder = new LineDecoder();
  let n = 0;
  const take = (line: string | null, unfinished: boolean) => {
    n++;
    if (line === "") return;
    const read = readLine(file, n, line, unfinished);
    if (read.ok) events.push(read.event);
    else onSkipped(read.notice);
  };
  for await (const chunk of createReadStream(file)) for (const line of decoder.push(chunk as Buffer)) take(line, false);
  for (const line of decoder.end()) take(line, true);
  return events;
}
