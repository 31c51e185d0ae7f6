"""Scans a data file that datasets could not read, to name the line and column at fault.

datasets fails on a broken file with a bare StopIteration, UnicodeDecodeError or "An error
occurred while generating the dataset"; these helpers find the first bad line instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any, BinaryIO

from .events import cause_chain, qualified_name
from .trainers import READ_ERRORS

# Values are shown cut to this many characters in messages: enough to recognise a row.
SHOWN_CHARS = 60
# One line this long is not a preference pair (the CLI's limit too, src/adapters/data-files.ts);
# the environment sets another, so that tests need not write a 1 GB line.
MAX_LINE_BYTES_ENV = "TRELLIS_MAX_LINE_BYTES"
DEFAULT_MAX_LINE_BYTES = 64 << 20
# A line over the limit is skipped in reads of this many bytes: memory stays bounded.
SKIP_BYTES = 1 << 20


def max_line_bytes() -> int:
    value = os.environ.get(MAX_LINE_BYTES_ENV, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_MAX_LINE_BYTES


def bounded_lines(f: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, the line or None when it is over `limit` bytes, its size without the newline).

    A plain `for raw in f` reads a whole line whatever its size: a 1 GB line is 1 GB of memory
    before any check runs. This reads at most `limit` + 1 bytes of a line and skips the rest.
    """
    number = 0
    while raw := f.readline(limit + 1):
        number += 1
        size = len(raw) - raw.endswith(b"\n")
        if size <= limit:
            yield number, raw, size
            continue
        while not raw.endswith(b"\n") and (raw := f.readline(SKIP_BYTES)):
            size += len(raw) - raw.endswith(b"\n")
        yield number, None, size


def long_line_problem(path: str, name: str | None = None) -> str | None:
    """The first line over the limit, located, in constant memory; None when there is none."""
    limit = max_line_bytes()
    with open(path, "rb") as f:
        for number, raw, size in bounded_lines(f, limit):
            if raw is None:
                return over_limit(name or os.path.basename(path), number, size, limit)
    return None


def line_problem(path: str, fmt: str) -> str | None:
    """A line over the limit in a CSV or JSON-lines file (a .json array is one document: its lines may be long)."""
    lined = fmt == "csv" or (fmt == "json" and not starts_with(path, b"["))
    return long_line_problem(path) if lined else None


def size_text(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


def over_limit(name: str, number: int, size: int, limit: int) -> str:
    return (
        f"{name}: line {number} is {size_text(size)}, over the limit of {limit / (1 << 20):g} MiB for one line; "
        "a row that size is not preference data (is this the right file?)"
    )


def is_blank_file(path: str) -> bool:
    """True for an empty file or one holding only whitespace; reads no further than the first row."""
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            if chunk.strip():
                return False
    return True


def is_read_error(exc: BaseException) -> bool:
    """An error about a file's content (not an I/O failure such as a full disk, which has an errno)."""
    chain = list(cause_chain(exc))
    if any(isinstance(e, OSError) and e.errno is not None for e in chain):
        return False
    names = {qualified_name(type(e)) for e in chain}
    return bool(names & READ_ERRORS) or isinstance(exc, (UnicodeDecodeError, StopIteration))


def root_message(exc: BaseException) -> str:
    root = list(cause_chain(exc))[-1]
    return f"{type(root).__name__}: {root}".strip().rstrip(":")


def file_problem(path: str, fmt: str) -> str | None:
    """Why a data file cannot be read, with its line and column; None when nothing is found."""
    name = os.path.basename(path)
    try:
        if fmt == "json":
            return json_array_problem(path, name) if starts_with(path, b"[") else json_lines_problem(path, name)
        if fmt == "csv":
            return utf8_problem(path, name)
    except OSError:
        return None
    return None


def starts_with(path: str, prefix: bytes) -> bool:
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            stripped = chunk.lstrip()
            if stripped:
                return stripped.startswith(prefix)
    return False


def json_lines_problem(path: str, name: str) -> str | None:
    """The first line that is not UTF-8, not JSON, cut off, not an object, or changes a column's kind."""
    kinds: dict[str, tuple[str, int]] = {}
    limit = max_line_bytes()
    with open(path, "rb") as f:
        for number, raw, size in bounded_lines(f, limit):
            if raw is None:
                return over_limit(name, number, size, limit)
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                return not_utf8(name, number, raw, err.start)
            try:
                row = json.loads(text)
            except json.JSONDecodeError as err:
                # The last line, with no newline after it or broken off at its very end: a cut-off file.
                ends = not raw.endswith(b"\n") or err.pos >= len(text.rstrip()) - 1
                if ends and all(r is not None and not r.strip() for _, r, _ in bounded_lines(f, limit)):
                    return (
                        f"{name}: line {number} is cut off in the middle of a JSON object: "
                        "the file looks truncated (was it still being written or copied?)"
                    )
                return f"{name}: line {number}, column {err.colno}: not valid JSON ({err.msg}): {shown(text)}"
            if not isinstance(row, dict):
                return f"{name}: line {number} is {kind_of(row)}, not a JSON object (expected one object per line)"
            for key, value in row.items():
                if value is None:
                    continue
                first = kinds.setdefault(key, (kind_of(value), number))
                if first[0] != kind_of(value):
                    return (
                        f"{name}: line {number}, column '{key}': {kind_of(value)}, where line {first[1]} has "
                        f"{first[0]}; a column must hold one kind of value"
                    )
    return None


def json_array_problem(path: str, name: str) -> str | None:
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        start = raw.rfind(b"\n", 0, err.start) + 1
        end = raw.find(b"\n", err.start)
        line = raw[start : len(raw) if end < 0 else end]
        return not_utf8(name, raw.count(b"\n", 0, err.start) + 1, line, err.start - start)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        if err.pos >= len(text.rstrip()) - 1 or err.msg.startswith("Unterminated string"):
            return f"{name}: the JSON document is cut off at line {err.lineno}: the file looks truncated"
        return f"{name}: line {err.lineno}, column {err.colno}: not valid JSON ({err.msg})"
    if not isinstance(document, list):
        return f"{name}: the file is {kind_of(document)}; expected a list of objects or one object per line"
    for index, row in enumerate(document, start=1):
        if not isinstance(row, dict):
            return f"{name}: record {index} of the list is {kind_of(row)}, not a JSON object"
    return None


def utf8_problem(path: str, name: str) -> str | None:
    limit = max_line_bytes()
    with open(path, "rb") as f:
        for number, raw, size in bounded_lines(f, limit):
            if raw is None:
                return over_limit(name, number, size, limit)
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as err:
                return not_utf8(name, number, raw, err.start)
    return None


def not_utf8(name: str, line: int, raw: bytes, at: int) -> str:
    """`at` is the bad byte's offset in the line; the column counts characters, as editors do."""
    column = len(raw[:at].decode("utf-8", errors="replace")) + 1
    return f"{name}: line {line}, column {column}: not valid UTF-8 (byte 0x{raw[at]:02x}); save the file as UTF-8"


def kind_of(value: Any) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


def shown(text: str) -> str:
    text = text.strip()
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."
