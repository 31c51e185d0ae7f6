"""KTO's data: the unpaired shape checked row by row, pairs unpaired, the class-balance weights."""

import pytest

from trellis_runtime import kto
from trellis_runtime.data import DataError, load_datasets

PAIRS = [{"prompt": f"Q{i}?", "chosen": f" yes {i}.", "rejected": f" no {i}."} for i in range(6)]
UNPAIRED = [
    {"prompt": "Q1?", "completion": " yes.", "label": True},
    {"prompt": "Q2?", "completion": " no.", "label": False},
    {"prompt": "Q3?", "completion": " maybe.", "label": True},
]


def spec(train, eval_=None):
    files = lambda p: {"files": [str(p)], "format": "json"}  # noqa: E731
    return {"train": files(train), "eval": files(eval_) if eval_ else None, "columns": {}}


def test_pairs_become_one_desirable_and_one_undesirable_example_each_reported(make_jsonl, recorder):
    data = load_datasets(
        spec(make_jsonl("p.jsonl", PAIRS), make_jsonl("e.jsonl", PAIRS[:2])), "kto", 0, recorder.emitter
    )
    assert data.train.column_names == ["prompt", "completion", "label"]
    assert len(data.train) == 12 and sum(data.train["label"]) == 6
    # Labels alternate, and neighbours answer different prompts (KTO's KL estimate uses the neighbour).
    assert data.train["label"][:4] == [True, False, True, False]
    prompts = data.train["prompt"]
    assert all(prompts[i] != prompts[i + 1] for i in range(len(prompts) - 1))
    assert {(r["prompt"], r["completion"], r["label"]) for r in data.train} == {
        (p["prompt"], p[k], k == "chosen") for p in PAIRS for k in ("chosen", "rejected")
    }
    # The eval pairs stay pairs for the held-out preference accuracy; the eval loss gets them unpaired.
    assert data.eval_pairs is not None and data.eval_pairs.column_names == ["prompt", "chosen", "rejected"]
    assert len(data.eval) == 4
    [notice] = [n for n in recorder.of_type("notice") if n["code"] == "kto-unpaired"]
    assert "6 preference pairs: unpaired into 12 examples" in notice["message"]


def test_unpaired_data_is_checked_and_kept(make_jsonl, recorder):
    data = load_datasets(spec(make_jsonl("u.jsonl", UNPAIRED)), "kto", 0, recorder.emitter)
    assert data.shape == "unpaired-text"
    assert data.train.to_list() == UNPAIRED
    assert data.eval_pairs is None


def test_the_bundled_unpaired_file_agrees_with_the_typescript_check(recorder):
    from conftest import REPO

    path = REPO / "recipes" / "data" / "colors-unpaired-train.jsonl"
    data = load_datasets(spec(path), "kto", 0, recorder.emitter)
    assert (data.shape, len(data.train), sum(data.train["label"])) == ("unpaired-text", 533, 320)


def test_unpaired_eval_data_skips_the_preference_accuracy_and_says_so(make_jsonl, recorder):
    path = make_jsonl("u.jsonl", UNPAIRED)
    data = load_datasets(spec(path, path), "kto", 0, recorder.emitter)
    assert data.eval_pairs is None and len(data.eval) == 3
    assert [n["code"] for n in recorder.of_type("notice")] == ["unpaired-eval"]


def test_unpaired_conversations_with_a_text_prompt(make_jsonl, recorder):
    rows = [{"prompt": "Q?", "completion": [{"role": "assistant", "content": "yes."}], "label": False}] * 2
    data = load_datasets(spec(make_jsonl("u.jsonl", rows)), "kto", 0, recorder.emitter)
    assert data.shape == "unpaired-messages"
    assert data.train[0]["prompt"] == [{"role": "user", "content": "Q?"}]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"label": 1}, r"u.jsonl: line 2, column 'label': .*a label must be true .* or false"),
        ({"label": "yes"}, r"u.jsonl: line 2, column 'label': .*a label must be true"),
        (
            {"completion": [{"role": "robot", "content": "x"}]},
            r"u.jsonl: line 2, column 'completion': chat messages, where the first row has text",
        ),
        ({"label": None}, r"u.jsonl: line 2, column 'label': no value"),
    ],
)
def test_a_bad_row_is_named_with_its_line_and_column(make_jsonl, recorder, bad, message):
    rows = [UNPAIRED[0], {**UNPAIRED[1], **bad}, UNPAIRED[2]]
    with pytest.raises(DataError, match=message):
        load_datasets(spec(make_jsonl("u.jsonl", rows)), "kto", 0, recorder.emitter)


def test_a_bad_message_role_is_named_with_its_line(make_jsonl, recorder):
    turn = lambda role: {"prompt": "Q?", "completion": [{"role": role, "content": "x"}], "label": True}  # noqa: E731
    with pytest.raises(DataError, match=r"u.jsonl: line 2: column 'completion', message 1: role 'robot'"):
        load_datasets(spec(make_jsonl("u.jsonl", [turn("assistant"), turn("robot")])), "kto", 0, recorder.emitter)


def test_a_label_without_a_completion_names_the_missing_column(make_jsonl, recorder):
    rows = [{"prompt": "Q", "answer": "a", "label": True}]
    with pytest.raises(DataError, match=r"the kto trainer needs column 'completion'; found: prompt, answer, label"):
        load_datasets(spec(make_jsonl("u.jsonl", rows)), "kto", 0, recorder.emitter)


@pytest.mark.parametrize(
    ("desirable", "undesirable", "args", "expected"),
    [
        (10, 10, {}, (1.0, 1.0, False, True)),  # balanced
        (12, 10, {}, (1.0, 1.0, False, True)),  # 1.2: inside [1, 4/3]
        (10, 30, {}, (3.0, 1.0, True, True)),  # few desirable: desirable_weight up
        (320, 213, {}, (1.0, 1.5, True, True)),  # many desirable: undesirable_weight up
        (10, 30, {"desirable_weight": 2.0}, (2.0, 1.0, False, False)),  # the user's choice stands, flagged
    ],
)
def test_recommended_weights(desirable, undesirable, args, expected):
    got = kto.recommended(desirable, undesirable, args)
    assert (got["desirable_weight"], got["undesirable_weight"], got["adjusted"], got["in_range"]) == expected
    if got["adjusted"]:
        assert kto.RATIO_LOW <= got["ratio"] <= kto.RATIO_HIGH


def test_balanced_weights_set_the_args_and_report(recorder):
    from datasets import Dataset

    train = Dataset.from_dict({"prompt": ["q"] * 4, "completion": ["a"] * 4, "label": [True, False, False, False]})
    args = kto.balanced_weights(train, {"beta": 0.1}, recorder.emitter)
    assert args == {"beta": 0.1, "desirable_weight": 3.0, "undesirable_weight": 1.0}
    [notice] = recorder.of_type("notice")
    assert (
        notice["code"] == "kto-weights"
        and "1 desirable and 3 undesirable examples: set desirable_weight 3" in notice["message"]
    )


def test_one_label_only_is_reported_and_left_alone(recorder):
    from datasets import Dataset

    train = Dataset.from_dict({"prompt": ["q"] * 2, "completion": ["a"] * 2, "label": [True, True]})
    assert kto.balanced_weights(train, {}, recorder.emitter) == {}
    assert recorder.of_type("notice")[0]["code"] == "kto-one-label"


def test_kto_flops_count_the_reference_and_the_kl_passes():
    from trellis_runtime import perf

    class KTOConfig:  # the runtime judges by the config class's name, as for DPOConfig
        loss_type = "kto"
        precompute_ref_log_probs = False

    n = 1000
    assert perf.kl_forwards(KTOConfig()) == 2
    assert perf.flops_per_token(perf.FlopsModel(n, n, False, True, perf.kl_forwards(KTOConfig()))) == 12 * n
    KTOConfig.precompute_ref_log_probs = True
    assert perf.flops_per_token(perf.FlopsModel(n, n, False, False, perf.kl_forwards(KTOConfig()))) == 8 * n
    KTOConfig.loss_type = "apo_zero_unpaired"  # no KL estimate
    assert perf.kl_forwards(KTOConfig()) == 0
    assert perf.kl_forwards(object()) == 0
