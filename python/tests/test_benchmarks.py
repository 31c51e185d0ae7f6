"""The parts of trellis_runtime.benchmarks that need no harness: paths and the harness's results.

The harness itself runs on the local task in the compare-scores matrix cell
(test/integration/compare-scores.test.ts), in the environment with the lm-eval extra.
"""

import pytest

from trellis_runtime import benchmarks


def test_relative_data_files_are_made_absolute_against_the_task_file(tmp_path):
    (tmp_path / "q.jsonl").write_text("{}\n")
    assert benchmarks.absolute("q.jsonl", tmp_path, "t.yaml", "f") == str(tmp_path / "q.jsonl")
    assert benchmarks.absolute("/abs/q.jsonl", tmp_path, "t.yaml", "f") == "/abs/q.jsonl"
    assert benchmarks.absolute("hf://datasets/x", tmp_path, "t.yaml", "f") == "hf://datasets/x"
    message = r"t.yaml: dataset_kwargs.data_files.test: no file missing.jsonl"
    with pytest.raises(benchmarks.BenchmarkError, match=message):
        benchmarks.absolute("missing.jsonl", tmp_path, "t.yaml", "dataset_kwargs.data_files.test")


def test_scores_are_read_metric_by_metric_with_their_stderr():
    results = {
        "results": {
            "colours": {
                "alias": "colours",
                "acc,none": 0.5,
                "acc_stderr,none": 0.05,
                "acc_norm,none": 0.25,
                "acc_norm_stderr,none": "N/A",
                "sample_len": 80,
            }
        },
        "n-samples": {"colours": {"original": 80, "effective": 40}},
    }
    assert benchmarks.scores_of(results, ["colours"]) == {
        "colours": {
            "metrics": {"acc": {"value": 0.5, "stderr": 0.05}, "acc_norm": {"value": 0.25, "stderr": None}},
            "samples": 40,
        }
    }
    with pytest.raises(benchmarks.BenchmarkError, match="task other: the harness returned no scores"):
        benchmarks.scores_of(results, ["other"])


def test_without_the_harness_the_message_names_the_extra(monkeypatch):
    from importlib import metadata

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    with pytest.raises(benchmarks.BenchmarkError, match="trellis env setup --extra lm-eval"):
        benchmarks.harness_version()
