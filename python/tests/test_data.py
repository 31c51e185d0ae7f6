import pytest

from trellis_runtime.data import DataError, load_datasets, source_label

PAIR = {"prompt": "Q?", "chosen": " yes.", "rejected": " no."}
CONV_PAIR = {
    "prompt": [{"role": "user", "content": "Q?"}],
    "chosen": [{"role": "assistant", "content": "yes."}],
    "rejected": [{"role": "assistant", "content": "no."}],
}


def spec(train, eval_=None, columns=None):
    return {
        "train": {"files": [str(train)], "format": "json"},
        "eval": {"files": [str(eval_)], "format": "json"} if eval_ else None,
        "columns": columns or {},
    }


def test_missing_column_names_it_the_columns_found_and_the_file(make_jsonl, recorder):
    path = make_jsonl("colors.jsonl", [{"prompt": "Q", "chosen": "a", "answer_b": "b"}] * 3)
    with pytest.raises(DataError) as info:
        load_datasets(spec(path), "dpo", 0, recorder.emitter)
    assert str(info.value) == (
        "colors.jsonl: the dpo trainer needs column 'rejected'; found: prompt, chosen, answer_b "
        "(map a column with data.columns: {rejected: <column>})"
    )
    assert isinstance(info.value, ValueError)


def test_columns_are_mapped_and_extra_columns_dropped(make_jsonl, recorder):
    path = make_jsonl("d.jsonl", [{"question": "Q", "chosen": "a", "answer_b": "b", "id": 1}] * 3)
    data = load_datasets(
        spec(path, columns={"prompt": "question", "rejected": "answer_b"}), "orpo", 0, recorder.emitter
    )
    assert data.train.column_names == ["prompt", "chosen", "rejected"]
    assert data.train[0] == {"prompt": "Q", "chosen": "a", "rejected": "b"}
    assert data.eval is None and data.eval_pairs is None


def test_mapping_can_swap_columns_and_replace_a_same_named_one(make_jsonl, recorder):
    rows = [{"prompt": "old", "q": "new", "chosen": "bad", "rejected": "good"}] * 2
    path = make_jsonl("d.jsonl", rows)
    columns = {"prompt": "q", "chosen": "rejected", "rejected": "chosen"}
    data = load_datasets(spec(path, columns=columns), "dpo", 0, recorder.emitter)
    assert data.train[0] == {"prompt": "new", "chosen": "good", "rejected": "bad"}


def test_mapping_a_column_that_is_not_there(make_jsonl, recorder):
    path = make_jsonl("d.jsonl", [PAIR])
    with pytest.raises(DataError, match=r"d.jsonl: data.columns maps prompt to column 'question'.*found: prompt"):
        load_datasets(spec(path, columns={"prompt": "question"}), "dpo", 0, recorder.emitter)


def test_implicit_prompt_pairs_pass_without_a_prompt_column(make_jsonl, recorder):
    path = make_jsonl("d.jsonl", [{"chosen": "Q? yes.", "rejected": "Q? no.", "x": 1}] * 2)
    data = load_datasets(spec(path), "dpo", 0, recorder.emitter)
    assert data.train.column_names == ["chosen", "rejected"]


def test_conversational_values_pass_through_unchanged(make_jsonl, recorder):
    path = make_jsonl("d.jsonl", [CONV_PAIR] * 2)
    data = load_datasets(spec(path, path), "orpo", 0, recorder.emitter)
    assert data.train[0] == CONV_PAIR
    assert data.eval_pairs is data.eval
    assert recorder.of_type("data")[0]["conversational"] is True


def test_sft_trains_on_chosen_and_keeps_the_pairs_for_preference_eval(make_jsonl, recorder):
    train = make_jsonl("train.jsonl", [PAIR] * 4)
    eval_ = make_jsonl("eval.jsonl", [PAIR] * 2)
    data = load_datasets(spec(train, eval_), "sft", 0, recorder.emitter)
    assert data.train[0] == {"prompt": "Q?", "completion": " yes."}
    assert data.eval[0] == {"prompt": "Q?", "completion": " yes."}
    assert data.eval_pairs[0] == PAIR
    assert [n["code"] for n in recorder.of_type("notice")] == ["sft_chosen"]
    (event,) = recorder.of_type("data")
    assert event["train_rows"] == 4 and event["eval_rows"] == 2


def test_sft_conversational_pairs_become_prompt_completion(make_jsonl, recorder):
    path = make_jsonl("d.jsonl", [CONV_PAIR] * 2)
    data = load_datasets(spec(path), "sft", 0, recorder.emitter)
    assert data.train[0] == {"prompt": CONV_PAIR["prompt"], "completion": CONV_PAIR["chosen"]}


@pytest.mark.parametrize(
    ("chosen", "column"),
    [
        ("Q? yes.", "text"),
        ([{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "yes."}], "messages"),
    ],
)
def test_sft_implicit_pairs_become_text_or_messages(make_jsonl, recorder, chosen, column):
    path = make_jsonl("d.jsonl", [{"chosen": chosen, "rejected": chosen}] * 2)
    data = load_datasets(spec(path), "sft", 0, recorder.emitter)
    assert data.train.column_names == [column]
    assert data.train[0][column] == chosen


@pytest.mark.parametrize(
    ("row", "columns"),
    [
        ({"text": "hello", "meta": 1}, ["text"]),
        ({"prompt": "a", "completion": "b", "meta": 1}, ["prompt", "completion"]),
        ({"messages": [{"role": "user", "content": "hi"}], "meta": 1}, ["messages"]),
    ],
)
def test_sft_formats_pass_through(make_jsonl, recorder, row, columns):
    path = make_jsonl("d.jsonl", [row] * 2)
    data = load_datasets(spec(path, path), "sft", 0, recorder.emitter)
    assert data.train.column_names == columns
    assert data.eval_pairs is None  # nothing to score preference on


def test_sft_prompt_without_completion(make_jsonl, recorder):
    path = make_jsonl("d.jsonl", [{"prompt": "a", "answer": "b"}])
    with pytest.raises(DataError, match="the sft trainer needs column 'completion'; found: prompt, answer"):
        load_datasets(spec(path), "sft", 0, recorder.emitter)


def test_sft_with_nothing_usable(make_jsonl, recorder):
    path = make_jsonl("d.jsonl", [{"body": "a"}])
    with pytest.raises(DataError, match=r"d\.jsonl: the sft trainer needs column 'text'.*found: body"):
        load_datasets(spec(path), "sft", 0, recorder.emitter)


def test_eval_fraction_splits_the_train_data_reproducibly(make_jsonl, recorder):
    rows = [{"prompt": f"q{i}", "chosen": "a", "rejected": "b"} for i in range(50)]
    path = make_jsonl("d.jsonl", rows)
    data_spec = {**spec(path), "eval": {"fraction": 0.2, "seed": 1}}
    first = load_datasets(data_spec, "dpo", 0, recorder.emitter)
    again = load_datasets(data_spec, "dpo", 0, recorder.emitter)
    assert (len(first.train), len(first.eval)) == (40, 10)
    assert first.eval["prompt"] == again.eval["prompt"]
    assert not set(first.eval["prompt"]) & set(first.train["prompt"])


def test_csv_files(tmp_path, recorder):
    path = tmp_path / "d.csv"
    path.write_text("prompt,chosen,rejected\nQ,a,b\n", encoding="utf-8")
    data = load_datasets({"train": {"files": [str(path)], "format": "csv"}, "eval": None}, "dpo", 0, recorder.emitter)
    assert data.train[0] == {"prompt": "Q", "chosen": "a", "rejected": "b"}


def test_source_label_for_the_hub():
    assert source_label({"hub": "org/name", "split": "test", "config": None}) == "org/name split test"
    assert source_label({"hub": "org/name", "split": "train", "config": "en"}) == "org/name (en) split train"
