import os
from pathlib import Path

import pytest

from trellis_runtime.data import DataError, DataFileError, load_datasets, source_label

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
    path = make_jsonl("d.jsonl", [{"question": "Q", "chosen": " a", "answer_b": " b", "id": 1}] * 3)
    data = load_datasets(
        spec(path, columns={"prompt": "question", "rejected": "answer_b"}), "orpo", 0, recorder.emitter
    )
    assert data.train.column_names == ["prompt", "chosen", "rejected"]
    assert data.train[0] == {"prompt": "Q", "chosen": " a", "rejected": " b"}
    assert data.eval is None and data.eval_pairs is None


def test_mapping_can_swap_columns_and_replace_a_same_named_one(make_jsonl, recorder):
    rows = [{"prompt": "old", "q": "new", "chosen": "bad", "rejected": "good"}] * 2
    path = make_jsonl("d.jsonl", rows)
    columns = {"prompt": "q", "chosen": "rejected", "rejected": "chosen"}
    data = load_datasets(spec(path, columns=columns), "dpo", 0, recorder.emitter)
    assert data.train[0] == {"prompt": "new ", "chosen": "good", "rejected": "bad"}


def test_mapping_a_column_that_is_not_there(make_jsonl, recorder):
    path = make_jsonl("d.jsonl", [PAIR])
    with pytest.raises(DataError, match=r"d.jsonl: data.columns maps prompt to column 'question'.*found: prompt"):
        load_datasets(spec(path, columns={"prompt": "question"}), "dpo", 0, recorder.emitter)


def test_implicit_prompt_pairs_get_their_shared_beginning_as_prompt(make_jsonl, recorder):
    path = make_jsonl("d.jsonl", [{"chosen": "Q? yes.", "rejected": "Q? no.", "x": 1}] * 2)
    data = load_datasets(spec(path), "dpo", 0, recorder.emitter)
    assert data.train[0] == {"prompt": "Q?", "chosen": " yes.", "rejected": " no."}
    assert recorder.of_type("data")[0]["shape"] == "implicit-text"


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
    ("row", "expected"),
    [
        ({"chosen": "Q? yes.", "rejected": "Q? no."}, {"prompt": "Q?", "completion": " yes."}),
        (
            {
                "chosen": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "yes."}],
                "rejected": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "no."}],
            },
            {"prompt": [{"role": "user", "content": "Q?"}], "completion": [{"role": "assistant", "content": "yes."}]},
        ),
    ],
)
def test_sft_implicit_pairs_become_prompt_completion_like_every_trainer_sees_them(make_jsonl, recorder, row, expected):
    path = make_jsonl("d.jsonl", [row] * 2)
    data = load_datasets(spec(path), "sft", 0, recorder.emitter)
    assert data.train[0] == expected


def test_sft_answers_without_rejected_ones_are_text_or_messages(make_jsonl, recorder):
    path = make_jsonl("d.jsonl", [{"chosen": "Q? yes."}] * 2)
    data = load_datasets(spec(path), "sft", 0, recorder.emitter)
    assert data.train.column_names == ["text"]


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
    with pytest.raises(DataError, match=r"d\.jsonl: the sft trainer needs column 'messages', .*'text'.*found: body"):
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
    # Plain text with nothing between prompt and answer: the separator (a space) joins them.
    assert data.train[0] == {"prompt": "Q ", "chosen": "a", "rejected": "b"}


def test_source_label_for_the_hub():
    assert source_label({"hub": "org/name", "split": "test", "config": None}) == "org/name split test"
    assert source_label({"hub": "org/name", "split": "train", "config": "en"}) == "org/name (en) split train"


# Hostile files: each ends as one DataError naming the file, the line and the column where it can.


def load(path, trainer="dpo", fmt="json"):
    from trellis_runtime.events import Emitter

    return load_datasets({"train": {"files": [str(path)], "format": fmt}, "eval": None}, trainer, 0, Emitter(None))


def write_bytes(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


GOOD_LINE = b'{"prompt": "Q?", "chosen": " yes.", "rejected": " no."}\n'


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_an_empty_file(tmp_path, content):
    path = write_bytes(tmp_path, "empty.jsonl", content)
    with pytest.raises(DataFileError, match=r"^empty\.jsonl: the data file is empty$"):
        load(path)


def test_a_file_cut_off_mid_json(tmp_path):
    path = write_bytes(tmp_path, "cut.jsonl", GOOD_LINE * 2 + b'{"prompt": "Q?", "cho')
    expected = r"^cut\.jsonl: line 3 is cut off in the middle of a JSON object: the file looks truncated"
    with pytest.raises(DataFileError, match=expected):
        load(path)


def test_a_json_array_cut_off(tmp_path):
    path = write_bytes(tmp_path, "cut.json", b'[{"prompt": "Q?", "chosen": "a", "rejected": "b"},\n {"prompt": "Q')
    with pytest.raises(DataFileError, match=r"^cut\.json: the JSON document is cut off at line 2"):
        load(path)


def test_a_broken_line_in_the_middle_names_line_and_column(tmp_path):
    path = write_bytes(tmp_path, "broken.jsonl", GOOD_LINE + b'{"prompt": "Q?" "chosen": "a"}\n' + GOOD_LINE)
    expected = r"^broken\.jsonl: line 2, column 17: not valid JSON \(Expecting ',' delimiter\)"
    with pytest.raises(DataFileError, match=expected):
        load(path)


def test_a_line_that_is_not_an_object(tmp_path):
    path = write_bytes(tmp_path, "list.jsonl", GOOD_LINE + b'["Q?", "a", "b"]\n')
    with pytest.raises(DataFileError, match=r"^list\.jsonl: line 2 is a list, not a JSON object"):
        load(path)


def test_invalid_utf8_names_line_and_column(tmp_path):
    line = '{"prompt": "Café", "chosen": "a", "rejected": "b"}\n'.encode("latin-1")
    path = write_bytes(tmp_path, "latin1.jsonl", GOOD_LINE + line)
    expected = r"^latin1\.jsonl: line 2, column 16: not valid UTF-8 \(byte 0xe9\); save the file as UTF-8$"
    with pytest.raises(DataFileError, match=expected):
        load(path)


@pytest.mark.parametrize(("name", "fmt", "first"), [("huge.jsonl", "json", b'{"prompt": "'), ("huge.csv", "csv", b'"')])
def test_a_line_over_the_limit_is_located_before_datasets_reads_it(tmp_path, monkeypatch, name, fmt, first):
    monkeypatch.setenv("TRELLIS_MAX_LINE_BYTES", str(1 << 20))
    header = b"prompt,chosen,rejected\n" if fmt == "csv" else b""
    path = write_bytes(tmp_path, name, header + first + b"Q" * 3_000_000 + b'"\n' + GOOD_LINE)
    line = 2 if fmt == "csv" else 1
    expected = rf"^{name}: line {line} is 3 MB, over the limit of 1 MiB for one line"
    with pytest.raises(DataFileError, match=expected.replace(".", r"\.", 1)):
        load(path, fmt=fmt)


def test_bounded_lines_skip_a_long_line_and_read_on(tmp_path):
    import io

    from trellis_runtime.data_files import bounded_lines

    f = io.BytesIO(b"ab\n" + b"x" * 5000 + b"\ncd\n" + b"y" * 10)
    assert list(bounded_lines(f, 100)) == [(1, b"ab\n", 2), (2, None, 5000), (3, b"cd\n", 2), (4, b"y" * 10, 10)]
    assert list(bounded_lines(io.BytesIO(b"abc\n"), 3)) == [(1, b"abc\n", 3)]


def test_invalid_utf8_in_a_csv_file(tmp_path):
    path = write_bytes(tmp_path, "d.csv", b"prompt,chosen,rejected\nQ,a,b\nQ,\xff,b\n")
    with pytest.raises(DataFileError, match=r"^d\.csv: line 3, column 3: not valid UTF-8 \(byte 0xff\)"):
        load(path, fmt="csv")


@pytest.mark.parametrize(
    "bad",
    [
        b'{"prompt": "Q?", "chosen": null, "rejected": " no."}\n',
        b'{"prompt": "Q?", "rejected": " no."}\n',  # the key is missing
    ],
)
def test_a_null_or_missing_value_names_the_line_and_column(tmp_path, bad):
    # Blank lines do not count as rows but do count as lines.
    path = write_bytes(tmp_path, "holes.jsonl", GOOD_LINE + b"\n" + GOOD_LINE + bad + GOOD_LINE)
    expected = r"^holes\.jsonl: line 4, column 'chosen': no value \(null, or the key is missing\)"
    with pytest.raises(DataError, match=expected):
        load(path)


def test_a_null_in_a_second_file_names_that_file(tmp_path, make_jsonl, recorder):
    first = make_jsonl("a.jsonl", [PAIR] * 3)
    second = make_jsonl("b.jsonl", [PAIR, {**PAIR, "rejected": None}])
    data_spec = {"train": {"files": [str(first), str(second)], "format": "json"}, "eval": None}
    with pytest.raises(DataError, match=r"^b\.jsonl: line 2, column 'rejected': no value"):
        load_datasets(data_spec, "orpo", 0, recorder.emitter)


def test_a_null_in_a_column_the_trainer_does_not_use_is_fine(make_jsonl):
    path = make_jsonl("d.jsonl", [{**PAIR, "note": None}, {**PAIR, "note": "x"}])
    assert len(load(path).train) == 2


def test_a_csv_row_missing_a_field(tmp_path):
    path = write_bytes(tmp_path, "d.csv", b"prompt,chosen,rejected\nQ,a,b\nQ,a\n")
    with pytest.raises(DataError, match=r"^d\.csv: row 2, column 'rejected': no value"):
        load(path, fmt="csv")


def test_a_number_where_text_belongs(make_jsonl):
    path = make_jsonl("n.jsonl", [PAIR, {**PAIR, "chosen": 5}])
    expected = r"^n\.jsonl: line 2, column 'chosen': a number; expected text or a list of chat messages"
    with pytest.raises(DataError, match=expected):
        load(path)


def test_text_in_some_rows_and_messages_in_others(make_jsonl):
    path = make_jsonl("mixed.jsonl", [CONV_PAIR, {**CONV_PAIR, "chosen": "yes."}])
    expected = r"^mixed\.jsonl: line 2, column 'chosen': text, where the first row has chat messages"
    with pytest.raises(DataError, match=expected):
        load(path)


def test_an_enormous_value(tmp_path):
    import json

    huge = json.dumps({"prompt": "Q?", "chosen": "x" * 50_000_000, "rejected": "no"}).encode()
    path = write_bytes(tmp_path, "huge.jsonl", GOOD_LINE + huge + b"\n" + GOOD_LINE)
    expected = r"^huge\.jsonl: line 2, column 'chosen': a value of 50\.0 MB; at most 4 MiB fits"
    with pytest.raises(DataError, match=expected):
        load(path)


def test_an_enormous_chat_message(tmp_path, make_jsonl):
    big = {**CONV_PAIR, "rejected": [{"role": "assistant", "content": "y" * (5 << 20)}]}
    path = make_jsonl("chat.jsonl", [CONV_PAIR, CONV_PAIR, big])
    with pytest.raises(DataError, match=r"^chat\.jsonl: line 3, column 'rejected': a value of 5\.2 MB"):
        load(path)


def test_a_hostile_eval_file_is_caught_too(tmp_path, make_jsonl, recorder):
    train = make_jsonl("train.jsonl", [PAIR] * 2)
    eval_ = write_bytes(tmp_path, "eval.jsonl", GOOD_LINE + b'{"prompt": ')
    with pytest.raises(DataFileError, match=r"^eval\.jsonl: line 2 is cut off"):
        load_datasets(spec(train, eval_), "dpo", 0, recorder.emitter)


def test_an_error_that_is_not_about_the_data_passes_through(make_jsonl, monkeypatch):
    import datasets
    from datasets.exceptions import DatasetGenerationError

    def full_disk(*_args, **_kwargs):
        try:
            raise OSError(28, "No space left on device")
        except OSError as err:
            raise DatasetGenerationError("An error occurred while generating the dataset") from err

    monkeypatch.setattr(datasets, "load_dataset", full_disk)
    with pytest.raises(DatasetGenerationError) as info:
        load(make_jsonl("d.jsonl", [PAIR]))
    assert not isinstance(info.value, DataError)
    assert info.value.__cause__.errno == 28


def test_score_columns_are_kept_and_a_margin_drops_near_ties(make_jsonl, recorder):
    rows = [{"prompt": "Q", "chosen": " a", "rejected": " b", "score_chosen": 9, "score_rejected": 2}] * 3
    rows += [{"prompt": "Q", "chosen": " b", "rejected": " a", "score_chosen": 5.0, "score_rejected": 4.5}]
    path = make_jsonl("d.jsonl", rows)
    data = load_datasets({**spec(path), "min_score_margin": 1.0}, "dpo", 0, recorder.emitter)
    assert len(data.train) == 3
    assert recorder.of_type("data")[0]["dropped_pairs"] == 1


def test_a_score_that_is_not_a_number(make_jsonl, recorder):
    path = make_jsonl(
        "d.jsonl", [{"prompt": "Q", "chosen": " a", "rejected": " b", "score_chosen": "high", "score_rejected": 2}]
    )
    with pytest.raises(DataError, match=r"d.jsonl: line 1, column 'score_chosen': text; a score must be a number"):
        load_datasets(spec(path), "dpo", 0, recorder.emitter)


FINGERPRINT_SCRIPT = """
import sys
from trellis_runtime.data import load_datasets
from trellis_runtime.events import Emitter
data = load_datasets({"train": {"files": [sys.argv[1]], "format": "json"}}, "orpo", 0, Emitter(None))
print(data.train._fingerprint)
"""


def test_the_normalised_data_has_the_same_fingerprint_from_any_run_directory(make_jsonl, tmp_path):
    # Each run renders its own copy of the runtime; a fingerprint that depended on where that
    # copy lives missed the datasets cache on every run and re-tokenized the whole data set.
    import shutil
    import subprocess
    import sys

    from trellis_runtime import data as data_module

    path = make_jsonl("pairs.jsonl", [{"prompt": f"Q{i}?", "chosen": " yes.", "rejected": " no."} for i in range(4)])
    runtime = Path(data_module.__file__).parent
    copies = []
    for name in ("run-a", "run-b", "run-edited"):
        shutil.copytree(runtime, tmp_path / name / "trellis_runtime", ignore=shutil.ignore_patterns("__pycache__"))
        copies.append(tmp_path / name)
    with open(copies[2] / "trellis_runtime" / "formats.py", "a", encoding="utf-8") as f:
        f.write("\n# the normalising code changed\n")
    children = [
        subprocess.Popen(
            [sys.executable, "-c", FINGERPRINT_SCRIPT, str(path)],
            cwd=copy,
            env={**os.environ, "PYTHONPATH": str(copy)},
            stdout=subprocess.PIPE,
            text=True,
        )
        for copy in copies
    ]
    a, b, edited = (child.communicate(timeout=120)[0].strip() for child in children)
    assert a and a == b
    assert edited != a
