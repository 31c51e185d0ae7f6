"""Scans a data file that datasets could not read, to name the line and column at fault.

datasets fails on a broken file with a bare StopIteration, UnicodeDecodeError or "An error
occurred while generating the dataset"; these helpers find the first bad line instead.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .events import cause_chain, qualified_name
from .trainers import READ_ERRORS

# Values are shown cut to this many characters in messages: enough to recognise a row.
SHOWN_CHARS = 60


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
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
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
                if (not raw.endswith(b"\n") or err.pos >= len(text.rstrip()) - 1) and all(not r.strip() for r in f):
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
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
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
