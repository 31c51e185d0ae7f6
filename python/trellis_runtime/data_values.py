"""A stage's data, value by value: present, text or chat messages, numbers for scores, not huge.

Columns are read from Arrow in bulk (pyarrow.compute), not row by row.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from . import formats
from .data_files import DataError, kind_of, row_location
from .trainers import MAX_VALUE_BYTES

if TYPE_CHECKING:
    from datasets import Dataset


def check_values(ds: Dataset, source: dict[str, Any], label: str) -> None:
    """Every row has a usable value in every column kept: present, text or chat messages, not huge.

    A null (or a key missing from a JSON line) otherwise reaches the tokenizer as None, a number
    as a TypeError, and a 50 MB string stalls tokenization: each is named here with its row.
    """
    import pyarrow.compute as pc

    for name in ds.column_names:
        column = ds.data.column(name)
        if column.null_count:
            raise DataError(
                f"{row_location(source, label, first_true(pc.is_null(column)))}, column '{name}': no value "
                f"(null, or the key is missing); every row needs one (fix or remove that row)"
            )
        if name in formats.SCORE_COLUMNS:
            check_scores(ds, name, source, label)
            continue
        sizes = value_sizes(ds.features[name], column)
        if sizes is None:
            check_kinds(ds, name, source, label)
            continue
        for row, size in sizes:
            if size > MAX_VALUE_BYTES:
                raise DataError(
                    f"{row_location(source, label, row)}, column '{name}': a value of {size / 1e6:.1f} MB; "
                    f"at most {MAX_VALUE_BYTES >> 20} MiB fits (about a million tokens, far beyond any max_length): "
                    "is this the right file?"
                )


def check_scores(ds: Dataset, name: str, source: dict[str, Any], label: str) -> None:
    """A score column holds numbers (ints or floats), every row."""
    import pyarrow as pa

    if pa.types.is_integer(ds.data.column(name).type) or pa.types.is_floating(ds.data.column(name).type):
        return
    row = next(i for i, v in enumerate(ds[name]) if not isinstance(v, (int, float)) or isinstance(v, bool))
    raise DataError(
        f"{row_location(source, label, row)}, column '{name}': {kind_of(ds[name][row])}; a score must be a number"
    )


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


def check_kinds(ds: Dataset, name: str, source: dict[str, Any], label: str) -> None:
    """A column datasets could not type (numbers, or text in some rows and messages in others)."""
    first: str | None = None
    for row, value in enumerate(ds[name]):
        kind = "text" if isinstance(value, str) else "chat messages" if isinstance(value, list) else kind_of(value)
        if kind not in ("text", "chat messages"):
            raise DataError(
                f"{row_location(source, label, row)}, column '{name}': {kind}; "
                "expected text or a list of chat messages ({role, content})"
            )
        if first is None:
            first = kind
        elif kind != first:
            raise DataError(
                f"{row_location(source, label, row)}, column '{name}': {kind}, where the first row has {first}; "
                "a column must hold one kind of value"
            )


def first_true(mask: Any) -> int:
    import pyarrow.compute as pc

    return pc.index(mask, True).as_py()
