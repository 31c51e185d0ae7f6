"""What each trainer needs of its data, from trainers.json: the table the TypeScript core reads too.

Edit the JSON, not these names; tests/test_trainers.py and test/core/data/trainers.test.ts check
that both sides read it the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TABLE: dict[str, Any] = json.loads((Path(__file__).parent / "trainers.json").read_text(encoding="utf-8"))

TRAINERS: tuple[str, ...] = tuple(TABLE["trainers"])
PREFERENCE_TRAINERS: tuple[str, ...] = tuple(t for t, need in TABLE["trainers"].items() if need["preference"])
STANDARD_COLUMNS: tuple[str, ...] = tuple(TABLE["standard_columns"])
SCORE_COLUMNS: tuple[str, ...] = tuple(TABLE["score_columns"])
PAIR_REQUIRED: tuple[str, ...] = tuple(TABLE["pair_columns"]["required"])
PAIR_OPTIONAL: tuple[str, ...] = tuple(TABLE["pair_columns"]["optional"])
# Trainers that take unpaired examples (KTO: prompt, completion, label), and those examples' columns.
UNPAIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    t: tuple(need["unpaired_columns"]) for t, need in TABLE["trainers"].items() if "unpaired_columns" in need
}
SFT_COLUMN_SETS: tuple[tuple[str, ...], ...] = tuple(tuple(s) for s in TABLE["trainers"]["sft"]["column_sets"])
ROLES: tuple[str, ...] = tuple(TABLE["roles"])
# One value this big is ~1M tokens, beyond any max_length: a wrong file or a broken export.
MAX_VALUE_BYTES: int = TABLE["max_value_bytes"]
# Failure cause -> the dotted name of the runtime's exception for it (the CLI diagnoses by name).
ERRORS: dict[str, str] = dict(TABLE["errors"])
# Libraries' exceptions (dotted names) that mean a data file cannot be read.
READ_ERRORS: frozenset[str] = frozenset(TABLE["read_errors"])


def pair_columns(found: list[str]) -> list[str]:
    """The pair columns kept from `found`, in the standard order (the optional ones where present)."""
    return [c for c in STANDARD_COLUMNS if c in PAIR_REQUIRED or (c in PAIR_OPTIONAL and c in found)]
