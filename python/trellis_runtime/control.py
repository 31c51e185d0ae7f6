"""Commands from trellis to a running stage: save a checkpoint now, or stop gracefully.

trellis writes one JSON line per command ({"command": "checkpoint"} or {"command": "stop"}) on
the file descriptor named in TRELLIS_CONTROL_FD, or appends it to the file named in
TRELLIS_CONTROL_FILE (a launched stage: torchrun's workers inherit no descriptors, and under
Slurm the file is on the shared file system). A daemon thread reads them and raises flags that
TrellisCallback acts on at the next step end, where the Trainer can save consistently; with
several processes, rank 0 reads the commands and every rank agrees on them at that step.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

FD_ENV = "TRELLIS_CONTROL_FD"
FILE_ENV = "TRELLIS_CONTROL_FILE"
COMMANDS = ("checkpoint", "stop")
# How often the control file is read: a command acts at a step end anyway.
FILE_POLL_S = 0.2


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

    def follow(self, path: str) -> None:
        """Read commands appended to the file at `path` on a daemon thread, from its start."""
        threading.Thread(target=self._follow, args=(path,), name="trellis-control", daemon=True).start()

    def _follow(self, path: str) -> None:
        offset = 0
        pending = b""
        while True:
            try:
                with open(path, "rb") as f:
                    f.seek(offset)
                    chunk = f.read()
            except FileNotFoundError:
                chunk = b""
            except OSError as exc:
                print(f"trellis: control file unreadable ({exc})", file=sys.stderr)
                return
            offset += len(chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                self._handle(line.decode("utf-8", "replace"))
            time.sleep(FILE_POLL_S)

    def _handle(self, line: str) -> None:
        try:
            command = json.loads(line).get("command")
        except (ValueError, AttributeError):
            return  # a malformed line is ignored, never fatal to training
        if command in COMMANDS:
            self.request(command)

    def _read(self, fd: int) -> None:
        try:
            with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as stream:
                for line in stream:
                    self._handle(line)
        except OSError as exc:
            print(f"trellis: control channel closed ({exc})", file=sys.stderr)


def from_env() -> Control:
    """A Control listening on TRELLIS_CONTROL_FD or TRELLIS_CONTROL_FILE (rank 0 only), else one nobody writes to."""
    control = Control()
    fd = os.environ.get(FD_ENV)
    path = os.environ.get(FILE_ENV)
    if fd:
        control.listen(int(fd))
    elif path and os.environ.get("RANK", "0") == "0":
        control.follow(path)
    return control
