"""The trainer's heartbeat: a sign of life on the event channel while nothing else is said.

A training step, a model load or an evaluation can take minutes without an event. The
supervisor tells that silence apart from a stage that stopped (SIGSTOP, a stuck filesystem, a
debugger) by these beats: a daemon thread sends a `notice` with the code `heartbeat` every few
seconds. A stopped process sends nothing, which is the point. A long step in a healthy process
keeps beating: torch's CPU and CUDA ops release the GIL, and the thread runs between the calls
that do not. The supervisor consumes the beats; they are not recorded in events.jsonl.
"""

from __future__ import annotations

import os
import threading

from .events import Emitter

# Seconds between beats: well under the shortest stall timeout the supervisor allows (3 beats),
# and one short line each, so the channel's cost is nothing.
INTERVAL_ENV = "TRELLIS_HEARTBEAT_SECONDS"
DEFAULT_INTERVAL_S = 2.0
HEARTBEAT_CODE = "heartbeat"


def interval_seconds() -> float:
    """The beat interval: the environment's (tests shorten it), else the default."""
    try:
        value = float(os.environ.get(INTERVAL_ENV, ""))
    except ValueError:
        return DEFAULT_INTERVAL_S
    return value if value > 0 else DEFAULT_INTERVAL_S


def start_heartbeat(emitter: Emitter, interval: float | None = None) -> threading.Event | None:
    """Beat on `emitter` from a daemon thread until the process ends or the event is set.

    Returns None (and starts nothing) when the emitter is silent: other ranks, no channel.
    """
    if not emitter.enabled:
        return None
    every = interval if interval is not None else interval_seconds()
    stop = threading.Event()

    def beat() -> None:
        # wait() returns early only when stopped; an emitter whose reader is gone turns itself off.
        while not stop.wait(every) and emitter.enabled:
            emitter.notice(HEARTBEAT_CODE, "alive")

    threading.Thread(target=beat, name="trellis-heartbeat", daemon=True).start()
    return stop
