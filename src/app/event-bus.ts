/**
 * Numbers events. Each event gets the next sequence number and goes to one sink, which appends
 * it to events.jsonl before anything else (state, websocket) sees it, so what a viewer shows is
 * always on disk.
 */
import type { OrchestratorEvent, RunEvent, StageEvent } from "../core/events/protocol.js";

export interface EventSink {
  write(event: RunEvent): void;
  close?(): void | Promise<void>;
}

type Unnumbered = StageEvent | OrchestratorEvent;

export class EventBus {
  /** Numbering goes on after `seq` (a resumed run continues its events.jsonl). */
  constructor(
    private readonly sink: EventSink,
    private seq = 0,
  ) {}

  emit(event: Unnumbered): RunEvent {
    const numbered = { ...event, seq: ++this.seq } as RunEvent;
    this.sink.write(numbered);
    return numbered;
  }

  async close(): Promise<void> {
    await this.sink.close?.();
  }
}

export const now = () => Date.now() / 1000;
