"""data.convert on the cases the TypeScript check is tested on too (test/core/data/convert.test.ts)."""

import json
from pathlib import Path

import pytest

from trellis_runtime import convert

CASES = json.loads((Path(__file__).parents[2] / "test" / "fixtures" / "convert-cases.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case):
    if "row" in case["expect"]:
        assert convert.convert_row(case["row"], case["spec"]) == case["expect"]["row"]
    else:
        with pytest.raises(convert.ConvertError) as err:
            convert.convert_row(case["row"], case["spec"])
        assert err.value.column == case["expect"]["problem"]["column"]
        assert str(err.value) == case["expect"]["problem"]["message"]


SHAREGPT = {"from": "sharegpt", "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected"}}


def share(i, role="human"):
    return {
        "conversations": [{"from": role, "value": f"Q{i}?"}],
        "chosen": {"from": "gpt", "value": f"yes {i}."},
        "rejected": {"from": "gpt", "value": f"no {i}."},
    }


def test_load_datasets_converts_sharegpt_pairs(make_jsonl, recorder):
    from trellis_runtime.data import load_datasets

    path = make_jsonl("pairs.jsonl", [share(i) for i in range(4)])
    data = load_datasets(
        {"train": {"files": [str(path)], "format": "json"}, "columns": {}, "convert": SHAREGPT},
        "dpo",
        0,
        recorder.emitter,
    )
    assert data.shape == "conversational"
    assert data.train[0] == {
        "prompt": [{"role": "user", "content": "Q0?"}],
        "chosen": [{"role": "assistant", "content": "yes 0."}],
        "rejected": [{"role": "assistant", "content": "no 0."}],
    }


def test_a_row_that_does_not_fit_is_located(make_jsonl, recorder):
    from trellis_runtime.data import DataError, load_datasets

    path = make_jsonl("pairs.jsonl", [share(0), share(1), share(2, role="bot")])
    with pytest.raises(DataError) as info:
        load_datasets(
            {"train": {"files": [str(path)], "format": "json"}, "columns": {}, "convert": SHAREGPT},
            "dpo",
            0,
            recorder.emitter,
        )
    assert str(info.value).startswith('pairs.jsonl: line 3: message 1: from "bot"; expected one of human, gpt')
    assert str(info.value).endswith("(data.convert: sharegpt)")
