/**
 * The run sink: every event of a run is numbered (EventBus), appended to events.jsonl, and only
 * once it is on disk folded into what the supervisor keeps (src/core/run/fold.ts) and broadcast
 * to the viewers, so what a viewer shows is always on disk. A resumed run goes on in the same
 * events.jsonl: numbering and state continue from it.
 */
import type { Logger } from "pino";
import { encodeEvent, type RunEvent } from "../core/events/protocol.js";
import { foldHistory, foldRunEvent, type RunFold } from "../core/run/fold.js";
import { EventFileIndex, readAllEvents } from "../adapters/event-file.js";
import { EventAppender } from "../adapters/event-appender.js";
import { EventBus } from "./event-bus.js";

/** Where appended events go once on disk: the websocket's viewers. */
interface Broadcaster {
  broadcast(seq: number, line: string): void;
}

export class RunSink {
  readonly bus: EventBus;
  private fold: RunFold;
  private viewers: Broadcaster | undefined;
  /** The event being appended, named for the disk-full message. */
  private appending = "";
  private readonly appender: EventAppender;

  /**
   * Opens the sink on `eventsFile`, after the events already there when `resume`.
   * `onFull` hears a failed append (the disk is full) with the event it was writing.
   */
  static async open(
    eventsFile: string,
    resume: boolean,
    logger: Logger,
    onFull: (err: NodeJS.ErrnoException, writing: string) => void,
  ): Promise<RunSink> {
    const history = resume ? await readAllEvents(eventsFile, (notice) => logger.warn(notice)) : [];
    const index = resume ? EventFileIndex.ofFile(eventsFile) : new EventFileIndex();
    return new RunSink(eventsFile, history, index, onFull);
  }

  private constructor(
    eventsFile: string,
    history: RunEvent[],
    readonly index: EventFileIndex,
    onFull: (err: NodeJS.ErrnoException, writing: string) => void,
  ) {
    this.fold = foldHistory(history);
    this.appender = new EventAppender(eventsFile, (err) => onFull(err, this.appending));
    this.bus = new EventBus({ write: (e) => this.write(e), close: () => this.appender.close() }, this.fold.lastSeq);
  }

  /** What the events so far add up to. */
  get current(): RunFold {
    return this.fold;
  }

  /** From now on, appended events go to these viewers too. */
  broadcastTo(viewers: Broadcaster): void {
    this.viewers = viewers;
  }

  /** True while events wait for room on the disk. */
  isFull(): boolean {
    return this.appender.isFull();
  }

  /** Writes the events held for room; false when the disk is still full. */
  retry(): boolean {
    return this.appender.retry();
  }

  private write(e: RunEvent): void {
    const line = encodeEvent(e);
    this.appending = `event ${e.seq} (${e.type})`;
    this.appender.append(line, () => {
      this.index.appended(Buffer.byteLength(line) + 1);
      this.fold = foldRunEvent(this.fold, e);
      this.viewers?.broadcast(e.seq, line);
    });
  }
}
