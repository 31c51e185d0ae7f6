/**
 * The command policy: what `stop` and `checkpoint` (from viewers and from signals) do to the
 * running stage. A stop asks the trainer to save and stop at the end of its step; a trainer
 * stuck in a long step (or in its imports) is then interrupted, then killed; a second stop
 * kills at once. A full disk terminates the stage the same way, without the wait.
 */
import type { Logger } from "pino";
import type { Command } from "../core/events/wire.js";
import { STOP_GRACE_MS, type StageHandle } from "../adapters/stage-process.js";
import { now, type EventBus } from "./event-bus.js";

export class CommandPolicy {
  private stage: StageHandle | undefined;
  private stopRequested = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  /** Whether a stop was asked for: no further stage starts. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  readonly command = (c: Command): void => {
    this.logger.info({ command: c }, "command");
    if (c === "checkpoint") {
      this.stage?.send("checkpoint");
      this.notice("checkpoint_requested", "a checkpoint will be saved at the end of the current step");
    } else if (c === "stop" && this.stopRequested) {
      // Asked twice (a second Ctrl-C): no more grace.
      this.notice("kill_requested", "stopping now: the trainer's processes are killed");
      this.stage?.kill("SIGKILL");
    } else if (c === "stop") {
      this.stopRequested = true;
      this.notice(
        "stop_requested",
        "stopping: a checkpoint is saved at the end of the current step, then the run stops",
      );
      this.stage?.send("stop");
      this.timers.push(
        setTimeout(() => this.stage?.kill("SIGINT"), STOP_GRACE_MS),
        setTimeout(() => this.stage?.kill("SIGKILL"), STOP_GRACE_MS * 2),
      );
    }
  };

  /** A stage's process started: it hears a stop asked for while it was starting. */
  started(h: StageHandle): void {
    this.stage = h;
    if (this.stopRequested) h.send("stop");
  }

  /** The stage's process ended. */
  ended(): void {
    this.stage = undefined;
  }

  /** Terminates the running stage now and kills it after the grace period (the disk is full). */
  terminate(): void {
    this.stage?.kill("SIGTERM");
    this.timers.push(setTimeout(() => this.stage?.kill("SIGKILL"), STOP_GRACE_MS));
  }

  /** The run is over: no escalation is pending. */
  close(): void {
    this.timers.forEach(clearTimeout);
    this.timers = [];
  }

  private notice(code: string, message: string): void {
    this.bus.emit({ type: "notice", time: now(), code, message });
  }
}
