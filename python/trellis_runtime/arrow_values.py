"""Columns of a data set read in bulk from Arrow (pyarrow.compute), for the checks in data.py:
the first row where a mask holds, and the values over the size limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .trainers import MAX_VALUE_BYTES


def value_sizes(feature: Any, column: Any) -> Iterator[tuple[int, int]] | None:
    """(row, bytes) of values over the limit, for text and chat-message columns; None for others."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return oversized(pc.binary_length(column), None)
    if (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and pa.types.is_struct(kind.value_type):
        content = kind.value_type.get_field_index("content")
        if content < 0 or not pa.types.is_string(kind.value_type.field(content).type):
            return iter(())  # lists of something else: not ours to judge
        return oversized_messages(column)
    return None


def oversized(sizes: Any, parents: Any) -> Iterator[tuple[int, int]]:
    import pyarrow.compute as pc

    over = pc.greater(sizes, MAX_VALUE_BYTES)
    index = first_true(over)
    if index >= 0:
        row = index if parents is None else parents[index].as_py()
        yield row, sizes[index].as_py()


def oversized_messages(column: Any) -> Iterator[tuple[int, int]]:
    """Messages are checked one by one; a row is reported by the first message too big."""
    import pyarrow.compute as pc

    offset = 0
    for chunk in column.chunks:
        contents = chunk.flatten().field("content")
        for row, size in oversized(pc.binary_length(contents), pc.list_parent_indices(chunk)):
            yield offset + row, size
        offset += len(chunk)


def first_true(mask: Any) -> int:
    import pyarrow.compute as pc

    return pc.index(mask, True).as_py()
