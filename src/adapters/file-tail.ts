/**
 * Follows a file another process appends to (rank 0's events of a launched stage, which may be
 * on another machine of a shared file system): polls its size and hands over the new bytes.
 */
import { open, type FileHandle } from "node:fs/promises";

/** Polling interval: events are shown within this delay. */
const TAIL_POLL_MS = 100;
const CHUNK_BYTES = 1 << 16;

export interface Tail {
  /** Reads what is left, then stops. */
  stop(): Promise<void>;
}

export function tailFile(file: string, onChunk: (bytes: Buffer) => void, pollMs = TAIL_POLL_MS): Tail {
  let offset = 0;
  let handle: FileHandle | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const buffer = Buffer.alloc(CHUNK_BYTES);

  const readNew = async () => {
    if (!handle) {
      try {
        handle = await open(file, "r");
      } catch {
        return; // not written yet
      }
    }
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, offset);
      if (!bytesRead) return;
      offset += bytesRead;
      onChunk(Buffer.from(buffer.subarray(0, bytesRead)));
    }
  };
  const timer = setInterval(() => {
    running = running.then(() => (stopped ? undefined : readNew())).catch(() => {});
  }, pollMs);

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await readNew().catch(() => {});
      await handle?.close();
    },
  };
}
