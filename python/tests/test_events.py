import json
import math
import os
import threading
from pathlib import Path

import pytest

from trellis_runtime.events import Emitter, qualified_name, to_jsonable


def test_emit_writes_one_flushed_json_line_with_type_time_and_stage(recorder):
    recorder.emitter.emit("metrics", step=3, metrics={"loss": 1.5})
    # Read while the stream is still open: the line must already be on disk.
    (event,) = recorder.events
    assert event["type"] == "metrics"
    assert event["stage"] == "test"
    assert isinstance(event["time"], float)
    assert event["step"] == 3
    assert event["metrics"] == {"loss": 1.5}


def test_non_finite_floats_become_strings_anywhere_in_the_payload(recorder):
    recorder.emitter.emit("metrics", metrics={"loss": math.nan, "grad": [math.inf, -math.inf, 1.0]})
    line = recorder.path.read_text(encoding="utf-8")
    assert "NaN" in line and json.loads(line)["metrics"] == {"loss": "NaN", "grad": ["Infinity", "-Infinity", 1.0]}


def test_tensors_and_numpy_values_become_plain_numbers():
    import numpy as np
    import torch

    payload = {
        "a": torch.tensor(2.5),
        "b": np.float32(0.5),
        "c": np.int64(7),
        "d": torch.tensor([1, 2]),
        "e": torch.tensor(float("nan")),
        "f": Path("/x"),
    }
    assert to_jsonable(payload) == {"a": 2.5, "b": 0.5, "c": 7, "d": [1, 2], "e": "NaN", "f": "/x"}


def test_from_env_writes_to_the_inherited_file_descriptor(monkeypatch):
    read_fd, write_fd = os.pipe()
    try:
        monkeypatch.setenv("TRELLIS_EVENTS_FD", str(write_fd))
        emitter = Emitter.from_env(stage="sft")
        emitter.emit("notice", code="x", message="hello")
        with os.fdopen(read_fd, encoding="utf-8", closefd=False) as reader:
            event = json.loads(reader.readline())
        assert event["type"] == "notice" and event["stage"] == "sft" and event["message"] == "hello"
        del emitter  # closefd=False: the descriptor stays open
        os.fstat(write_fd)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_from_env_appends_to_the_named_file(monkeypatch, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"type": "earlier"}\n', encoding="utf-8")
    monkeypatch.setenv("TRELLIS_EVENTS_FILE", str(path))
    Emitter.from_env(stage=None).emit("stage_start")
    types = [json.loads(line)["type"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert types == ["earlier", "stage_start"]


def test_from_env_without_a_channel_is_silent():
    emitter = Emitter.from_env(stage="x")
    assert not emitter.enabled
    emitter.emit("metrics", step=1)  # no error, nowhere to go


@pytest.mark.parametrize(
    ("env", "emits"),
    [
        ({}, True),
        ({"RANK": "0", "LOCAL_RANK": "0"}, True),
        ({"RANK": "1", "LOCAL_RANK": "1"}, False),
        ({"LOCAL_RANK": "1"}, False),
        ({"RANK": "3", "LOCAL_RANK": "0"}, False),  # rank zero of a second node is not world zero
    ],
)
def test_only_world_process_zero_emits(monkeypatch, tmp_path, env, emits):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    path = tmp_path / "events.jsonl"
    monkeypatch.setenv("TRELLIS_EVENTS_FILE", str(path))
    Emitter.from_env(stage="x").emit("metrics")
    assert (path.exists() and path.read_text() != "") == emits


def test_guard_emits_the_error_then_reraises(recorder):
    with pytest.raises(FileNotFoundError), recorder.emitter.guard():
        open("/definitely/not/here.jsonl")  # noqa: SIM115
    (event,) = recorder.of_type("error")
    assert event["exc_type"] == "FileNotFoundError"
    assert "/definitely/not/here.jsonl" in event["message"]
    assert "Traceback (most recent call last)" in event["traceback"]
    assert "FileNotFoundError" in event["traceback"]


def test_guard_names_library_exceptions_with_their_module(recorder):
    import torch

    with pytest.raises(torch.OutOfMemoryError), recorder.emitter.guard():
        raise torch.OutOfMemoryError("CUDA out of memory. " + "x" * 5000)
    (event,) = recorder.of_type("error")
    assert event["exc_type"] == "torch.OutOfMemoryError"
    assert len(event["message"]) == 2000


def test_guard_lets_a_clean_exit_pass_silently(recorder):
    with pytest.raises(SystemExit), recorder.emitter.guard():
        raise SystemExit(0)
    with pytest.raises(SystemExit), recorder.emitter.guard():
        raise SystemExit(3)
    assert [e["exc_type"] for e in recorder.of_type("error")] == ["SystemExit"]


def test_qualified_name_of_nested_class():
    class Outer:
        class Inner(Exception):
            pass

    assert qualified_name(Outer.Inner).endswith("Outer.Inner")
    assert qualified_name(KeyError) == "KeyError"


def test_lines_from_many_threads_never_interleave(recorder):
    def work(n: int) -> None:
        for i in range(200):
            recorder.emitter.emit("metrics", thread=n, i=i, pad="x" * 500)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = recorder.events  # each line parses
    assert len(events) == 1600


def test_a_closed_channel_stops_events_without_failing_the_run(tmp_path, capsys):
    stream = (tmp_path / "e.jsonl").open("w", encoding="utf-8")
    emitter = Emitter(stream, stage="x", enabled=True)
    stream.close()
    emitter.emit("metrics")
    emitter.emit("metrics")
    assert not emitter.enabled
    assert capsys.readouterr().err.count("event channel closed") == 1


def test_an_os_error_reports_its_errno(recorder):
    with pytest.raises(OSError, match="No space left"), recorder.emitter.guard():
        raise OSError(28, "No space left on device")
    (event,) = recorder.of_type("error")
    assert event["errno"] == 28
    assert "cause_types" not in event


def test_errno_and_cause_types_come_from_the_explicit_cause_chain(recorder):
    class WrapperError(Exception):
        pass

    def write() -> None:
        try:
            open("/definitely/not/here/x.arrow", "w")  # noqa: SIM115
        except OSError as err:
            raise WrapperError("An error occurred while generating the dataset") from err

    with pytest.raises(WrapperError), recorder.emitter.guard():
        write()
    (event,) = recorder.of_type("error")
    assert event["exc_type"].endswith("WrapperError")
    assert event["errno"] == 2
    assert event["cause_types"] == ["FileNotFoundError"]


def test_no_errno_without_an_os_error(recorder):
    with pytest.raises(KeyError), recorder.emitter.guard():
        raise KeyError("rejected")
    (event,) = recorder.of_type("error")
    assert event["message"] == "'rejected'"
    assert "errno" not in event


def test_cause_types_of_a_real_hub_error(recorder, tmp_path):
    from transformers import AutoTokenizer

    with pytest.raises(OSError, match="no-such-model"), recorder.emitter.guard():
        AutoTokenizer.from_pretrained(str(tmp_path / "no-such-model"))
    (event,) = recorder.of_type("error")
    assert event["exc_type"] == "OSError"
    assert event["cause_types"][0].startswith("huggingface_hub.errors.")
