"""Commands from trellis to a running stage: save a checkpoint now, or stop gracefully.

trellis writes one JSON line per command ({"command": "checkpoint"} or {"command": "stop"}) on
the file descriptor named in TRELLIS_CONTROL_FD. A daemon thread reads them and raises flags
that TrellisCallback acts on at the next step end, where the Trainer can save consistently.
"""

from __future__ import annotations

import json
import os
import sys
import threading

FD_ENV = "TRELLIS_CONTROL_FD"
COMMANDS = ("checkpoint", "stop")


class Control:
    """Flags set by commands; read (and cleared) by the callback on the training thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checkpoint = False
        self._stop = False

    def request(self, command: str) -> None:
        with self._lock:
            if command == "checkpoint":
                self._checkpoint = True
            elif command == "stop":
                self._stop = True

    def take_checkpoint(self) -> bool:
        with self._lock:
            wanted, self._checkpoint = self._checkpoint, False
            return wanted

    @property
    def stop_requested(self) -> bool:
        with self._lock:
            return self._stop

    def listen(self, fd: int) -> None:
        """Read commands from `fd` on a daemon thread until it closes."""
        threading.Thread(target=self._read, args=(fd,), name="trellis-control", daemon=True).start()

    def _read(self, fd: int) -> None:
        try:
            with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as stream:
                for line in stream:
                    try:
                        command = json.loads(line).get("command")
                    except (ValueError, AttributeError):
                        continue  # a malformed line is ignored, never fatal to training
                    if command in COMMANDS:
                        self.request(command)
        except OSError as exc:
            print(f"trellis: control channel closed ({exc})", file=sys.stderr)


def from_env() -> Control:
    """A Control listening on TRELLIS_CONTROL_FD when trellis set it, else one nobody writes to."""
    control = Control()
    fd = os.environ.get(FD_ENV)
    if fd:
        control.listen(int(fd))
    return control
