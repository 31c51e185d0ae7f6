"""Load a stage's data, name its columns the way TRL expects, and check them first.

TRL fails on a missing column deep inside datasets.map with a bare KeyError. Checking here
lets the error name the column, the columns that were found and the file they came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .events import Emitter

if TYPE_CHECKING:
    from datasets import Dataset

PREFERENCE_TRAINERS = ("dpo", "orpo")
# A column name that cannot clash with a user's, used while renaming.
TEMP_PREFIX = "__trellis_"


class DataError(ValueError):
    """The data does not fit the stage's trainer; the message says what to change."""


@dataclass(frozen=True)
class StageData:
    """What a stage trains and evaluates on.

    `train` and `eval` are in the trainer's format. `eval_pairs` holds preference pairs for the
    held-out preference accuracy: the eval data itself for DPO/ORPO, the unconverted pairs for an
    SFT stage given preference data, None when there are no pairs to score.
    """

    train: Dataset
    eval: Dataset | None
    eval_pairs: Dataset | None


def load_datasets(data: dict[str, Any], trainer: str, seed: int, emitter: Emitter) -> StageData:
    """Load data.train and data.eval, rename per data.columns, check and convert for `trainer`."""
    columns: dict[str, str] = data.get("columns") or {}
    train_label = source_label(data["train"])
    train = check_columns(rename(load_source(data["train"]), columns, train_label), trainer, train_label)

    eval_spec = data.get("eval")
    eval_ds: Dataset | None = None
    if isinstance(eval_spec, dict) and "fraction" in eval_spec:
        # Split after the checks so that both halves have the same, checked columns.
        split = train.train_test_split(test_size=eval_spec["fraction"], seed=eval_spec.get("seed", seed))
        train, eval_ds = split["train"], split["test"]
    elif eval_spec:
        eval_label = source_label(eval_spec)
        eval_ds = check_columns(rename(load_source(eval_spec), columns, eval_label), trainer, eval_label)

    eval_pairs = eval_ds if eval_ds is not None and is_preference(eval_ds) else None
    if trainer == "sft":
        if is_preference(train):
            emitter.notice("sft_chosen", "the sft stage got preference pairs: it trains on the chosen answers")
        train = to_sft(train)
        eval_ds = to_sft(eval_ds) if eval_ds is not None else None

    emitter.emit(
        "data",
        train_rows=len(train),
        eval_rows=len(eval_ds) if eval_ds is not None else None,
        columns=list(train.column_names),
        conversational=is_conversational_ds(train),
    )
    return StageData(train=train, eval=eval_ds, eval_pairs=eval_pairs)


def load_source(source: dict[str, Any]) -> Dataset:
    from datasets import load_dataset

    if "files" in source:
        return load_dataset(source["format"], data_files=list(source["files"]), split="train")
    return load_dataset(
        source["hub"], source.get("config"), split=source.get("split") or "train", revision=source.get("revision")
    )


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

    if trainer in PREFERENCE_TRAINERS:
        for name in ("chosen", "rejected"):
            if name not in found:
                raise missing(name)
        # Without a prompt column the pairs hold the prompt themselves (implicit prompt).
        keep = ["prompt", "chosen", "rejected"] if "prompt" in found else ["chosen", "rejected"]
    elif trainer == "sft":
        if "messages" in found:
            keep = ["messages"]
        elif "prompt" in found and "completion" in found:
            keep = ["prompt", "completion"]
        elif "text" in found:
            keep = ["text"]
        elif "chosen" in found:  # preference data: trained on the chosen answers
            keep = ["prompt", "chosen", "rejected"] if "prompt" in found else ["chosen"]
            keep = [c for c in keep if c in found]
        elif "prompt" in found:
            raise missing("completion")
        else:
            raise DataError(
                f"{label}: the sft trainer needs column 'text', 'messages', or 'prompt' and 'completion' "
                f"(or preference pairs with 'chosen'); found: {', '.join(found)} "
                f"(map a column with data.columns: {{text: <column>}})"
            )
    else:
        raise DataError(f"unknown trainer {trainer!r}")
    return ds.select_columns(keep)


def is_preference(ds: Dataset) -> bool:
    return "chosen" in ds.column_names and "rejected" in ds.column_names


def is_conversational_ds(ds: Dataset) -> bool:
    from trl.data_utils import is_conversational

    return len(ds) > 0 and is_conversational(ds[0])


def to_sft(ds: Dataset) -> Dataset:
    """Preference pairs -> SFT rows on the chosen answers; other SFT data passes unchanged.

    prompt + chosen becomes prompt + completion (strings or message lists alike). Implicit-prompt
    pairs hold the whole conversation in chosen: it becomes messages, or text for plain strings.
    """
    if "chosen" not in ds.column_names:
        return ds
    if "prompt" in ds.column_names:
        ds = ds.select_columns(["prompt", "chosen"])
        return ds.rename_column("chosen", "completion")
    ds = ds.select_columns(["chosen"])
    return ds.rename_column("chosen", "messages" if is_conversational_ds(ds) else "text")
