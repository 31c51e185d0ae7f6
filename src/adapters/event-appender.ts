/**
 * Appending to events.jsonl so that a full disk loses nothing: a line the disk has no room for
 * is held in memory, the part of it already written included, and written on from exactly that
 * byte once there is room again (`retry`), so every line on disk ends whole and in order.
 * A file that ends mid-line (a supervisor that died as the disk filled) gets a newline first:
 * new events never glue onto the cut one.
 */
import { closeSync, openSync, readSync, fstatSync, writeSync } from "node:fs";

/** What is held while the disk is full; beyond this, events are dropped (a gap the replay reports). */
const MAX_HELD_BYTES = 256 << 10;

/** Errno codes of a full disk or an exhausted quota. */
const isDiskFull = (err: unknown) => ["ENOSPC", "EDQUOT"].includes((err as NodeJS.ErrnoException)?.code ?? "");

interface Held {
  bytes: Buffer;
  written: number;
  onWritten: () => void;
}

export class EventAppender {
  private readonly fd: number;
  private readonly held: Held[] = [];
  private heldBytes = 0;
  private full = false;
  private dropped = 0;

  /** `onFull` is called once each time the disk fills, with the error and the bytes not written. */
  constructor(
    readonly file: string,
    private readonly onFull: (err: NodeJS.ErrnoException) => void,
  ) {
    this.fd = openSync(file, "a+");
    if (endsMidLine(this.fd)) this.held.push({ bytes: Buffer.from("\n"), written: 0, onWritten: () => {} });
  }

  /** Appends `line` and its newline; `onWritten` runs once it is on disk (now, or after `retry`). */
  append(line: string, onWritten: () => void): void {
    const bytes = Buffer.from(`${line}\n`);
    if (this.full && this.heldBytes + bytes.length > MAX_HELD_BYTES) {
      this.dropped++;
      return;
    }
    this.held.push({ bytes, written: 0, onWritten });
    this.heldBytes += bytes.length;
    if (!this.full) this.drain();
  }

  /** True while lines wait for room on the disk. */
  isFull(): boolean {
    return this.full;
  }

  /** Events dropped because too much was held: they are missing from the file. */
  droppedCount(): number {
    return this.dropped;
  }

  /** Writes what is held (after room was made); false when the disk is still full. */
  retry(): boolean {
    this.full = false;
    this.drain();
    return !this.full;
  }

  close(): void {
    closeSync(this.fd);
  }

  private drain(): void {
    for (let h = this.held[0]; h; h = this.held[0]) {
      try {
        // writeSync may write part of a buffer (the disk filled mid-line): go on from there.
        while (h.written < h.bytes.length) h.written += writeSync(this.fd, h.bytes, h.written);
      } catch (err) {
        if (!isDiskFull(err)) throw err;
        this.full = true;
        this.onFull(err as NodeJS.ErrnoException);
        return;
      }
      this.held.shift();
      this.heldBytes -= h.bytes.length;
      h.onWritten();
    }
  }
}

function endsMidLine(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (!size) return false;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}
