"""Structured events: one JSON object per line on a channel of their own.

trellis reads these lines while the stage runs, so each line is flushed as soon as it is
written and never interleaved with another thread's line. This module imports nothing heavy:
the stage script creates its emitter before torch is imported, so that an import failure is
reported too.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import PurePath
from typing import Any, TextIO

FD_ENV = "TRELLIS_EVENTS_FD"
FILE_ENV = "TRELLIS_EVENTS_FILE"
# Set by torchrun for each worker: the rank's uncaught exception goes there, as @record writes it.
ELASTIC_ERROR_FILE_ENV = "TORCHELASTIC_ERROR_FILE"
# A traceback carries the detail; the message is what a user sees on one line.
MAX_MESSAGE_CHARS = 2000
# Explicit causes reported with an error: enough for a library's wrapper around the real error.
MAX_CAUSES = 5


def is_world_process_zero() -> bool:
    """True unless a launcher (torchrun, accelerate) says this is another rank."""
    rank = os.environ.get("RANK")
    if rank is None:
        rank = os.environ.get("LOCAL_RANK", "0")
    return rank.strip() in ("", "0")


def to_jsonable(value: Any) -> Any:
    """Turn a payload into plain JSON values.

    JSON has no NaN: a diverging loss must still arrive, so non-finite floats become the strings
    "NaN", "Infinity" and "-Infinity". Tensors and numpy values (anything with `tolist`) become
    numbers or lists without importing torch or numpy here.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, PurePath):
        return str(value)
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return to_jsonable(tolist())
    return str(value)


def qualified_name(exc_type: type[BaseException]) -> str:
    """`FileNotFoundError` for builtins, `torch.OutOfMemoryError` otherwise."""
    module = exc_type.__module__
    if module in ("builtins", "__main__"):
        return exc_type.__qualname__
    return f"{module}.{exc_type.__qualname__}"


def cause_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then its explicit causes (`raise ... from`), nearest first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__


def error_fields(exc: BaseException) -> dict[str, Any]:
    """The `error` event's fields: what trellis diagnoses a failure from.

    Libraries wrap the error that says what happened: transformers raises a plain OSError whose
    cause is huggingface_hub's RepositoryNotFoundError, datasets a DatasetGenerationError whose
    cause is the OSError of a full disk. `cause_types` names those causes, and `errno` is the
    first errno along the chain (28 is a full disk wherever it was raised).
    """
    fields: dict[str, Any] = {
        "exc_type": qualified_name(type(exc)),
        "message": str(exc)[:MAX_MESSAGE_CHARS],
        "traceback": "".join(traceback.format_exception(exc)),
    }
    chain = list(cause_chain(exc))
    errno = next((e.errno for e in chain if isinstance(e, OSError) and type(e.errno) is int), None)
    if errno is not None:
        fields["errno"] = errno
    causes = [qualified_name(type(e)) for e in chain[1 : 1 + MAX_CAUSES]]
    if causes:
        fields["cause_types"] = causes
    return fields


class Emitter:
    """Writes events as JSON lines; thread-safe; a no-op without a stream or off rank zero."""

    def __init__(self, stream: TextIO | None, stage: str | None = None, enabled: bool | None = None) -> None:
        self._stream = stream
        self._stage = stage
        self._enabled = stream is not None and (is_world_process_zero() if enabled is None else enabled)
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, stage: str | None = None) -> Emitter:
        """Open the channel trellis named in the environment, or return a silent emitter."""
        fd = os.environ.get(FD_ENV)
        if fd:
            # closefd=False: the descriptor belongs to the parent's plumbing, not to this object.
            return cls(os.fdopen(int(fd), "w", buffering=1, encoding="utf-8", closefd=False), stage)
        path = os.environ.get(FILE_ENV)
        if path:
            # Left open on purpose: the stream lives as long as the process.
            return cls(open(path, "a", buffering=1, encoding="utf-8"), stage)
        return cls(None, stage)

    @property
    def enabled(self) -> bool:
        return self._enabled

    def emit(self, type: str, **fields: Any) -> None:  # noqa: A002 ("type" is the protocol's name)
        if not self._enabled:
            return
        event = {"type": type, "time": time.time(), "stage": self._stage, **fields}
        line = json.dumps(to_jsonable(event), ensure_ascii=False, allow_nan=False) + "\n"
        with self._lock:
            try:
                assert self._stream is not None
                self._stream.write(line)
                self._stream.flush()
            except (OSError, ValueError) as exc:
                # The reader is gone (broken pipe, closed file). Losing progress events must not
                # kill a training run that may be hours in, so stop emitting and say so once.
                self._enabled = False
                print(f"trellis: event channel closed ({exc}); events are no longer sent", file=sys.stderr)

    def notice(self, code: str, message: str, **fields: Any) -> None:
        """Something the user should know that does not stop the run."""
        self.emit("notice", code=code, message=message, **fields)

    @contextmanager
    def guard(self) -> Iterator[Emitter]:
        """Report an exception escaping the block as an `error` event, then re-raise it."""
        try:
            yield self
        except SystemExit as exc:
            if exc.code not in (None, 0):
                self._emit_error(exc)
            raise
        except BaseException as exc:  # KeyboardInterrupt too: trellis reports a cancelled stage
            self._emit_error(exc)
            raise

    def _emit_error(self, exc: BaseException) -> None:
        fields = error_fields(exc)
        write_elastic_error_file(fields)  # every rank, not only the one that emits events
        self.emit("error", **fields)


def write_elastic_error_file(fields: Mapping[str, Any]) -> None:
    """Write the rank's exception where torchrun's agent reads it (TORCHELASTIC_ERROR_FILE).

    The format is the one `torch.distributed.elastic.multiprocessing.errors.record` writes; the
    agent reports the earliest error file of all ranks as the root cause. trellis adds the rank
    and its own error fields, so the supervisor can name the failing rank and its exception.
    """
    path = os.environ.get(ELASTIC_ERROR_FILE_ENV)
    if not path:
        return
    short = fields["exc_type"].rsplit(".", 1)[-1]
    data = {
        "message": {
            "message": f"{short}: {fields['message']}",
            "extraInfo": {
                "py_callstack": fields.get("traceback", ""),
                "timestamp": str(int(time.time())),
                "trellis": {
                    "time": time.time(),  # the agent's timestamp has whole seconds: ties between ranks
                    "rank": _int_env("RANK"),
                    "local_rank": _int_env("LOCAL_RANK"),
                    "node_rank": _int_env("GROUP_RANK"),
                    "host": os.uname().nodename,
                    **{k: v for k, v in fields.items() if k != "traceback"},
                },
            },
        }
    }
    try:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(to_jsonable(data), out)
    except OSError as exc:
        print(f"trellis: could not write the error file {path}: {exc}", file=sys.stderr)


def _int_env(name: str) -> int | None:
    value = os.environ.get(name, "")
    return int(value) if value.strip().isdigit() else None
