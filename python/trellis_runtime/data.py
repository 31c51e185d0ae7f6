"""Load a stage's data, name its columns the way TRL expects, and check them first.

TRL fails on a missing column deep inside datasets.map with a bare KeyError, and datasets fails
on a broken file with a bare StopIteration, UnicodeDecodeError or "An error occurred while
generating the dataset". Checking here, before the model is loaded, turns each of these into one
DataError naming the file, the line or row, and the column.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import compat, convert, formats, kto
from .arrow_values import first_true, value_sizes
from .data_files import file_problem, is_blank_file, is_read_error, kind_of, line_problem, root_message, starts_with
from .events import Emitter
from .trainers import MAX_VALUE_BYTES, PREFERENCE_TRAINERS, SFT_COLUMN_SETS, UNPAIRED_COLUMNS, pair_columns

if TYPE_CHECKING:
    from datasets import Dataset

# A column name that cannot clash with a user's, used while renaming.
TEMP_PREFIX = "__trellis_"
# Rows read from Arrow at a time while checking shapes: bounded memory on big data sets.
ROW_BATCH = 1000


class DataError(ValueError):
    """The data does not fit the stage's trainer; the message says what to change."""


class DataFileError(DataError):
    """A data file cannot be read as rows: empty, cut off, not UTF-8, not JSON."""


@dataclass(frozen=True)
class StageData:
    """What a stage trains and evaluates on.

    `train` and `eval` are in the trainer's format. `eval_pairs` holds preference pairs for the
    held-out preference accuracy: the eval data itself for DPO/ORPO, the unconverted pairs for an
    SFT or KTO stage given preference data, None when there are no pairs to score. `shape` is the train
    data's shape (formats.SHAPES), the same in every stage given the same data.
    """

    train: Dataset
    eval: Dataset | None
    eval_pairs: Dataset | None
    shape: str


def load_datasets(data: dict[str, Any], trainer: str, seed: int, emitter: Emitter) -> StageData:
    """Load data.train and data.eval, rename per data.columns, check, normalise, convert for `trainer`."""
    columns: dict[str, str] = data.get("columns") or {}
    options = formats.Options.of(data)
    layout = data.get("convert")
    train, shape, dropped = load_checked(data["train"], columns, trainer, options, layout)

    eval_spec = data.get("eval")
    eval_ds: Dataset | None = None
    if isinstance(eval_spec, dict) and "fraction" in eval_spec:
        # Split after the checks so that both halves have the same, checked columns.
        split = train.train_test_split(test_size=eval_spec["fraction"], seed=eval_spec.get("seed", seed))
        train, eval_ds = split["train"], split["test"]
    elif eval_spec:
        eval_ds, _, _ = load_checked(eval_spec, columns, trainer, options, layout)

    eval_pairs = eval_ds if eval_ds is not None and is_preference(eval_ds) else None
    if trainer == "sft":
        if is_preference(train):
            emitter.notice("sft_chosen", "the sft stage got preference pairs: it trains on the chosen answers")
        train = to_sft(train)
        eval_ds = to_sft(eval_ds) if eval_ds is not None else None
    if trainer in UNPAIRED_COLUMNS:
        train, eval_ds = to_unpaired(train, eval_ds, emitter)

    emitter.emit(
        "data",
        train_rows=len(train),
        eval_rows=len(eval_ds) if eval_ds is not None else None,
        columns=list(train.column_names),
        conversational=formats.is_conversational(shape, options),
        shape=shape,
        dropped_pairs=dropped,
    )
    return StageData(train=train, eval=eval_ds, eval_pairs=eval_pairs, shape=shape)


def load_checked(
    source: dict[str, Any],
    columns: dict[str, str],
    trainer: str,
    options: formats.Options,
    layout: dict[str, Any] | None = None,
) -> tuple[Dataset, str, int]:
    """One source, loaded, converted or renamed, checked, in the normal form: (rows, shape, pairs dropped)."""
    label = source_label(source)
    ds = load_source(source)
    ds = converted(ds, layout, source, label) if layout else rename(ds, columns, label)
    ds = check_columns(ds, trainer, label)
    check_values(ds, source, label)
    if is_unpaired(ds):  # KTO's single answers marked desirable or not
        unpaired, shape = checked_unpaired(ds, source, label, options)
        return unpaired, shape, 0
    if trainer == "sft" and "chosen" in ds.column_names and "rejected" not in ds.column_names:
        # Answers without their rejected half: SFT data, whole texts or conversations.
        conversational = formats.kind(ds[0]["chosen"]) == "messages"
        ds = ds.select_columns(["chosen"]).rename_column("chosen", "messages" if conversational else "text")
    preference = is_preference(ds)
    try:
        # One pass over the rows: each pair is checked, then its shape told.
        shape = formats.detect(checked_pairs(ds) if preference else iter_rows(ds), sft_only=not preference)
        if not preference:
            return ds, shape, 0
        ds = ds.map(
            normaliser(shape, options),
            batched=True,
            with_indices=True,
            remove_columns=ds.column_names,
            new_fingerprint=normalised_fingerprint(ds, shape, options),
        )
    except formats.ShapeError as exc:
        raise DataError(f"{row_location(source, label, exc.row)}: {exc}") from None
    before = len(ds)
    if options.min_score_margin is not None:
        if not all(c in ds.column_names for c in formats.SCORE_COLUMNS):
            raise DataError(f"{label}: data.min_score_margin needs columns score_chosen and score_rejected")
        margin = options.min_score_margin
        ds = ds.filter(lambda r: r["score_chosen"] - r["score_rejected"] >= margin)
        if len(ds) == 0:
            raise DataError(f"{label}: no pair has score_chosen - score_rejected >= {margin} (data.min_score_margin)")
    return ds.select_columns(["prompt", "chosen", "rejected"]), shape, before - len(ds)


def converted(ds: Dataset, layout: dict[str, Any], source: dict[str, Any], label: str) -> Dataset:
    """Rows in another tool's layout (data.convert) as standard columns; DataError at the first misfit row."""

    def apply(batch: dict[str, list[Any]], indices: list[int]) -> dict[str, list[Any]]:
        names = list(batch)
        out: dict[str, list[Any]] = {}
        for index, values in zip(indices, zip(*batch.values(), strict=True), strict=True):
            try:
                row = convert.convert_row(dict(zip(names, values, strict=True)), layout)
            except convert.ConvertError as exc:
                where = row_location(source, label, index)
                raise DataError(f"{where}: {exc} (data.convert: {layout['from']})") from None
            if out and set(row) != set(out):
                raise DataError(
                    f"{row_location(source, label, index)}: converts to {', '.join(row)} where the rows before "
                    f"convert to {', '.join(out)}; one layout per data set (data.convert: {layout['from']})"
                )
            for key, value in row.items():
                out.setdefault(key, []).append(value)
        return out

    return ds.map(apply, batched=True, with_indices=True, remove_columns=ds.column_names)


def iter_rows(ds: Dataset) -> Iterator[dict[str, Any]]:
    """Every row as a dict, read a batch at a time so that big data sets stay in Arrow."""
    for batch in ds.iter(batch_size=ROW_BATCH):
        names = list(batch)
        for values in zip(*(batch[n] for n in names), strict=True):
            yield dict(zip(names, values, strict=True))


def checked_pairs(ds: Dataset) -> Iterator[dict[str, Any]]:
    """The rows, each after its message roles and contents, and chosen differing from rejected."""
    for index, row in enumerate(iter_rows(ds)):
        for name in ("prompt", "chosen", "rejected"):
            if isinstance(row.get(name), list) and (problem := formats.check_messages(row[name], name)):
                raise formats.ShapeError(index, name, problem)
        if row["chosen"] == row["rejected"]:
            raise formats.ShapeError(index, "chosen", "chosen and rejected are identical: the pair teaches nothing")
        yield row


def normaliser(shape: str, options: formats.Options) -> Any:
    """A batched map function: rows of `shape` -> explicit prompt, chosen, rejected (+ scores)."""

    def apply(batch: dict[str, list[Any]], indices: list[int]) -> dict[str, list[Any]]:
        names = list(batch)
        out: dict[str, list[Any]] = {}
        for index, values in zip(indices, zip(*(batch[n] for n in names), strict=True), strict=True):
            try:
                row = formats.normalise(dict(zip(names, values, strict=True)), shape, options)
            except ValueError as exc:
                raise formats.ShapeError(index, None, str(exc)) from None
            for key, value in row.items():
                out.setdefault(key, []).append(value)
        return out

    return apply


def normalised_fingerprint(ds: Dataset, shape: str, options: formats.Options) -> str:
    """The normalised data's fingerprint: the input's, the shape, the options, the code and the releases.

    Left to itself, datasets fingerprints the map by pickling `apply`, and with it the formats
    module by value, __file__ included: a path inside the run directory. Every run then got a new
    fingerprint, missed the cache, and normalised and tokenized (TRL's maps chain from this
    fingerprint) the whole data set again.
    """
    from datasets.fingerprint import Hasher

    return Hasher.hash([ds._fingerprint, shape, dataclasses.astuple(options), code_digest(), compat.releases()])


@functools.cache
def code_digest() -> str:
    """The runtime's code (every module and data file of this package), so that changing it misses the cache."""
    digest = hashlib.sha256()
    folder = os.path.dirname(os.path.abspath(__file__))
    for name in sorted(os.listdir(folder)):
        if name.endswith((".py", ".json")):
            digest.update(name.encode() + b"\0")
            with open(os.path.join(folder, name), "rb") as f:
                digest.update(f.read())
    return digest.hexdigest()


def load_source(source: dict[str, Any]) -> Dataset:
    from datasets import load_dataset

    if "files" not in source:
        return load_dataset(
            source["hub"], source.get("config"), split=source.get("split") or "train", revision=source.get("revision")
        )
    for path in source["files"]:
        if is_blank_file(path):
            raise DataFileError(f"{os.path.basename(path)}: the data file is empty")
        if problem := line_problem(path, source["format"]):  # before datasets reads a 1 GB line whole
            raise DataFileError(problem)
    try:
        ds = load_dataset(source["format"], data_files=list(source["files"]), split="train")
        # Arrow's JSON reader stores invalid UTF-8 as is; it would fail later, in the tokenizer.
        ds.data.validate(full=True)
        return ds
    except Exception as exc:
        # datasets' own errors name neither the file nor the line: find what broke ourselves.
        problem = next((p for path in source["files"] if (p := file_problem(path, source["format"]))), None)
        if problem:
            raise DataFileError(problem) from exc
        if is_read_error(exc):
            raise DataFileError(f"{source_label(source)}: datasets cannot read it: {root_message(exc)}") from exc
        raise  # not about the data (a full disk, say): the original error says more


def source_label(source: dict[str, Any]) -> str:
    """How errors name a source: its file names, or the Hub dataset and split."""
    if "files" in source:
        return ", ".join(os.path.basename(f) for f in source["files"])
    config = f" ({source['config']})" if source.get("config") else ""
    return f"{source['hub']}{config} split {source.get('split') or 'train'}"


def rename(ds: Dataset, columns: dict[str, str], label: str) -> Dataset:
    """Rename source columns to standard names (data.columns maps standard <- source)."""
    mapping = {standard: source for standard, source in columns.items() if standard != source}
    if not mapping:
        return ds
    for standard, source in mapping.items():
        if source not in ds.column_names:
            raise DataError(
                f"{label}: data.columns maps {standard} to column '{source}', which is not there; "
                f"found: {', '.join(ds.column_names)}"
            )
    # Two steps through temporary names, so that swaps ({chosen: rejected, rejected: chosen}) work
    # and a mapped column replaces an unmapped one that already had the standard name.
    ds = ds.rename_columns({source: TEMP_PREFIX + standard for standard, source in mapping.items()})
    ds = ds.remove_columns([s for s in mapping if s in ds.column_names])
    return ds.rename_columns({TEMP_PREFIX + standard: standard for standard in mapping})


def check_columns(ds: Dataset, trainer: str, label: str) -> Dataset:
    """Keep the columns `trainer` uses, or raise DataError naming the one that is missing."""
    found = ds.column_names
    if len(ds) == 0:
        raise DataError(f"{label}: the data set has no rows")

    def missing(name: str) -> DataError:
        return DataError(
            f"{label}: the {trainer} trainer needs column '{name}'; found: {', '.join(found)} "
            f"(map a column with data.columns: {{{name}: <column>}})"
        )

    scores = [c for c in formats.SCORE_COLUMNS if c in found]
    unpaired = UNPAIRED_COLUMNS.get(trainer)
    if unpaired and "label" in found:  # KTO's unpaired shape; without a label column, pairs to unpair
        for name in unpaired:
            if name not in found:
                raise missing(name)
        keep = list(unpaired)
    elif trainer in PREFERENCE_TRAINERS:
        # Without a prompt column the pairs hold the prompt themselves (implicit prompt).
        keep = pair_columns(found)
        for name in keep:
            if name not in found:
                raise missing(name)
        keep += scores
    elif trainer == "sft":
        full = next((list(s) for s in SFT_COLUMN_SETS if all(c in found for c in s)), None)
        partial = next((s for s in SFT_COLUMN_SETS if any(c in found for c in s)), None)
        if full is not None:
            keep = full
        elif "chosen" in found:  # preference data: normalised like the pairs, trained on the chosen answers
            keep = [c for c in (*pair_columns(found), *scores) if c in found]
        elif partial is not None:
            raise missing(next(c for c in partial if c not in found))
        else:
            sets = [" and ".join(f"'{c}'" for c in s) for s in SFT_COLUMN_SETS]
            raise DataError(
                f"{label}: the sft trainer needs column {', '.join(sets[:-1])}, or {sets[-1]} "
                f"(or preference pairs with 'chosen'); found: {', '.join(found)} "
                f"(map a column with data.columns: {{text: <column>}})"
            )
    else:
        raise DataError(f"unknown trainer {trainer!r}")
    return ds.select_columns(keep)


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
        if name == "label":
            check_labels(ds, source, label)
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


def check_labels(ds: Dataset, source: dict[str, Any], label: str) -> None:
    """KTO's label is true (a desirable answer) or false, every row: not 1/0, not "yes"."""
    import pyarrow as pa

    if pa.types.is_boolean(ds.data.column("label").type):
        return
    row = next(i for i, v in enumerate(ds["label"]) if not isinstance(v, bool))
    raise DataError(
        f"{row_location(source, label, row)}, column 'label': {kind_of(ds['label'][row])}; "
        "a label must be true (a desirable answer) or false (an undesirable one)"
    )


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


def row_location(source: dict[str, Any], label: str, row: int) -> str:
    """Where row `row` (0-based, across the source's files) is: a file's line, or a row number."""
    remaining = row
    if "files" in source and source["format"] == "json":
        for path in source["files"]:
            name = os.path.basename(path)
            if starts_with(path, b"["):
                with open(path, encoding="utf-8") as f:
                    count = len(json.load(f))
                if remaining < count:
                    return f"{name}: record {remaining + 1}"
                remaining -= count
                continue
            with open(path, "rb") as f:
                for number, raw in enumerate(f, start=1):
                    if raw.strip():
                        if remaining == 0:
                            return f"{name}: line {number}"
                        remaining -= 1
    if "files" in source and len(source["files"]) == 1:
        return f"{label}: row {row + 1}"
    return f"{label}: row {row + 1} of the data"


def is_unpaired(ds: Dataset) -> bool:
    return "label" in ds.column_names and "completion" in ds.column_names


def checked_unpaired(ds: Dataset, source: dict[str, Any], label: str, options: formats.Options) -> tuple[Dataset, str]:
    """Unpaired rows checked (messages, one shape for all) and normalised like pairs, with their shape."""
    try:
        shape = formats.detect(checked_messages(ds, ("prompt", "completion")), unpaired=True)
        normalised = ds.map(
            normaliser(shape, options),
            batched=True,
            with_indices=True,
            remove_columns=ds.column_names,
            new_fingerprint=normalised_fingerprint(ds, shape, options),
        )
        return normalised.select_columns(list(UNPAIRED_COLUMNS["kto"])), shape
    except formats.ShapeError as exc:
        raise DataError(f"{row_location(source, label, exc.row)}: {exc}") from None


def checked_messages(ds: Dataset, names: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """The rows, each after the roles and contents of its message lists."""
    for index, row in enumerate(iter_rows(ds)):
        for name in names:
            if isinstance(row.get(name), list) and (problem := formats.check_messages(row[name], name)):
                raise formats.ShapeError(index, name, problem)
        yield row


def to_unpaired(train: Dataset, eval_ds: Dataset | None, emitter: Emitter) -> tuple[Dataset, Dataset | None]:
    """KTO's data: pairs unpaired (reported); unpaired eval data noted (no pairs to score accuracy on)."""
    if is_preference(train):
        pairs = len(train)
        train = kto.unpair(train)
        emitter.notice(
            "kto-unpaired",
            f"the kto stage got {pairs} preference pairs: unpaired into {len(train)} examples, "
            "each chosen answer desirable and each rejected one undesirable",
            pairs=pairs,
            examples=len(train),
        )
    if eval_ds is not None and is_preference(eval_ds):
        eval_ds = kto.unpair(eval_ds)
    elif eval_ds is not None:
        emitter.notice(
            "unpaired-eval",
            "the eval data is unpaired (prompt, completion, label): held-out preference accuracy needs pairs "
            "(chosen, rejected) and is skipped; the eval loss and rewards are still logged",
        )
    return train, eval_ds


def is_preference(ds: Dataset) -> bool:
    return "chosen" in ds.column_names and "rejected" in ds.column_names


def to_sft(ds: Dataset) -> Dataset:
    """Normalised preference pairs -> prompt + completion on the chosen answers; SFT data unchanged."""
    if "chosen" not in ds.column_names:
        return ds
    return ds.select_columns(["prompt", "chosen"]).rename_column("chosen", "completion")
