import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python" / "tools"))

import make_colors_data  # noqa: E402


def read(name: str) -> list[dict]:
    path = REPO / "recipes" / "data" / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_committed_data_is_what_the_script_writes():
    train, eval_ = make_colors_data.build()
    assert read("colors-train.jsonl") == train
    assert read("colors-eval.jsonl") == eval_


def test_sizes_columns_and_held_out_combinations():
    train, eval_ = read("colors-train.jsonl"), read("colors-eval.jsonl")
    assert (len(train), len(eval_)) == (320, 80)
    assert all(list(row) == ["prompt", "chosen", "rejected"] for row in train + eval_)
    assert all(row["chosen"] != row["rejected"] for row in train + eval_)
    assert not {r["prompt"] for r in train} & {r["prompt"] for r in eval_}
    # Every thing of the eval set is taught in train, with the same answer.
    taught = {r["chosen"] for r in train}
    assert all(r["chosen"] in taught for r in eval_)
