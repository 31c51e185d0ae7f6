"""Probe mode for the batch planner: nothing changes without TRELLIS_PROBE; with it, a few steps
on the longest rows, nothing saved."""

from dataclasses import dataclass

from datasets import Dataset

from trellis_runtime import probe


@dataclass
class Data:
    train: object
    eval: object
    eval_pairs: object


def test_without_probe_nothing_changes(monkeypatch):
    monkeypatch.delenv(probe.PROBE_ENV, raising=False)
    spec = {"args": {"max_steps": -1}, "preference_eval": {"max_pairs": 10}}
    probe.apply(spec)
    assert spec == {"args": {"max_steps": -1}, "preference_eval": {"max_pairs": 10}}
    data = Data(train=[1], eval=[2], eval_pairs=[3])
    assert probe.worst_case(data, {}) is data


def test_probe_trains_a_few_steps_on_the_longest_rows(monkeypatch):
    monkeypatch.setenv(probe.PROBE_ENV, '{"steps": 3}')
    spec = {
        "args": {"per_device_train_batch_size": 1, "gradient_accumulation_steps": 1, "save_strategy": "steps"},
        "preference_eval": {"max_pairs": 10},
    }
    probe.apply(spec)
    assert (
        spec["args"]["max_steps"] == 3
        and spec["args"]["save_strategy"] == "no"
        and spec["args"]["eval_strategy"] == "no"
    )
    assert spec["preference_eval"] is None
    rows = [{"prompt": "p" * n, "chosen": "c", "rejected": "r"} for n in (1, 50, 3, 40, 2)]
    data = probe.worst_case(Data(Dataset.from_list(rows), eval="e", eval_pairs="p"), spec["args"])
    assert len(data.train) == 1 * 1 * 3  # micro-batch x accumulation x steps
    assert sorted(len(r["prompt"]) for r in data.train) == [3, 40, 50]  # the three longest rows
    assert data.eval is None and data.eval_pairs is None
