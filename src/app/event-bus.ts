/**
 * One event stream, many sinks. Each event gets the next sequence number and is appended to
 * events.jsonl before any other sink sees it, so what a viewer shows is always on disk.
 */
import type { OrchestratorEvent, RunEvent, StageEvent } from "../core/events/protocol.js";

export interface EventSink {
  write(event: RunEvent): void;
  close?(): void | Promise<void>;
}

type Unnumbered = StageEvent | OrchestratorEvent;

export class EventBus {
  private readonly sinks: EventSink[];

  /** `log` is the durable record (events.jsonl); `sinks` are viewers; numbering goes on after `seq`. */
  constructor(
    private readonly log: EventSink,
    sinks: EventSink[] = [],
    private seq = 0,
  ) {
    this.sinks = [...sinks];
  }

  add(sink: EventSink): void {
    this.sinks.push(sink);
  }

  emit(event: Unnumbered): RunEvent {
    const numbered = { ...event, seq: ++this.seq } as RunEvent;
    this.log.write(numbered);
    for (const sink of this.sinks) sink.write(numbered);
    return numbered;
  }

  async close(): Promise<void> {
    for (const sink of [...this.sinks, this.log]) await sink.close?.();
  }
}

export const now = () => Date.now() / 1000;
