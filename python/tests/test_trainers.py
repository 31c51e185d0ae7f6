"""The table of what each trainer needs (trellis_runtime/trainers.json) as the runtime reads it.

test/fixtures/column-use.json holds cases that test/core/data/trainers.test.ts runs on the
TypeScript side too: the check before a run and the check in the stage keep the same columns.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from trellis_runtime import data_files, formats, trainers
from trellis_runtime.data import DataError, check_columns

REPO = Path(__file__).resolve().parents[2]
CASES = json.loads((REPO / "test" / "fixtures" / "column-use.json").read_text(encoding="utf-8"))["cases"]


def test_the_runtime_reads_the_one_table():
    assert trainers.TRAINERS == ("sft", "dpo", "orpo", "kto", "cpo", "simpo")
    assert trainers.PREFERENCE_TRAINERS == ("dpo", "orpo", "kto", "cpo", "simpo")
    assert trainers.UNPAIRED_COLUMNS == {"kto": ("prompt", "completion", "label")}
    assert formats.SCORE_COLUMNS is trainers.SCORE_COLUMNS
    assert formats.ROLES is trainers.ROLES
    assert data_files.READ_ERRORS is trainers.READ_ERRORS


@pytest.mark.parametrize(("cause", "dotted"), sorted(trainers.ERRORS.items()))
def test_each_error_the_cli_diagnoses_is_a_runtime_exception(cause, dotted):
    module, _, name = dotted.rpartition(".")
    assert issubclass(getattr(importlib.import_module(module), name), DataError), cause


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['trainer']}-{'-'.join(c['found'])}")
def test_columns_kept_agree_with_the_typescript_check(case):
    from datasets import Dataset

    ds = Dataset.from_dict({name: ["x"] for name in case["found"]})
    if case.get("missing"):
        with pytest.raises(DataError, match="needs column"):
            check_columns(ds, case["trainer"], "d.jsonl")
    else:
        assert check_columns(ds, case["trainer"], "d.jsonl").column_names == case["keep"]
