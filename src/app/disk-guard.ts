/**
 * A full disk during a run: the supervisor keeps a reserve file in the run folder, and when a
 * write of events.jsonl fails for lack of room it records the numbers, has the trainer stopped,
 * then deletes the reserve to make room for the held events, its log lines and the run's end.
 * The run is then resumable like any failed run, once space is freed.
 */
import path from "node:path";
import type { Logger } from "pino";
import { appendLine, createReserve, freeBytesNow, releaseReserve } from "../adapters/disk.js";
import { runFiles } from "../adapters/run-dir.js";
import { diskFullMessage, type DiskFullFacts } from "../core/diagnose/disk-full.js";

export class DiskGuard {
  /** The first fill of this run, with its numbers; null while the disk has room. */
  facts: DiskFullFacts | null = null;
  private readonly reserved: boolean;

  constructor(
    private readonly runDir: string,
    private readonly logger: Logger,
  ) {
    this.reserved = createReserve(runDir);
    if (!this.reserved) logger.warn({ runDir }, "no room for the disk reserve: a full disk may cut the run's record");
  }

  /** Records a failed write; the facts the first time (later fills are the same episode). */
  filled(err: NodeJS.ErrnoException, file: string, writing: string): DiskFullFacts | null {
    if (this.facts) return null;
    this.facts = { path: file, free: freeBytesNow(file), writing, code: err.code ?? "ENOSPC" };
    this.logger.error({ disk_full: this.facts }, "disk full");
    return this.facts;
  }

  /** Makes room to record the end (the trainer has stopped writing by now) and says so in supervisor.log. */
  release(): void {
    releaseReserve(this.runDir);
    if (!this.facts) return;
    const line = `trellis supervisor: ${new Date().toISOString()} ${diskFullMessage(this.facts)}; the trainer was stopped and the reserve (${this.reserved ? "1 MiB" : "none"}) freed to record the run's end; once space is freed: trellis resume ${path.basename(this.runDir)}\n`;
    try {
      appendLine(runFiles(this.runDir).supervisorLog, line);
    } catch (err) {
      this.logger.error({ err }, "supervisor.log could not be written");
    }
    this.logger.warn({ reserved: this.reserved }, "disk reserve released to record the run's end");
  }

  /** At the end of the run: the reserve is not left behind. */
  close(): void {
    releaseReserve(this.runDir);
  }
}
