"""The runtime side of launched stages: error files, the command file, rank agreement, heartbeats, preflight."""

import json
import time

import pytest

from trellis_runtime import control, environment, ranks
from trellis_runtime.events import Emitter
from trellis_runtime.preflight import differences


def test_a_rank_s_exception_goes_to_torchelastic_error_file_with_rank_and_type(tmp_path, monkeypatch):
    error_file = tmp_path / "error.json"
    monkeypatch.setenv("TORCHELASTIC_ERROR_FILE", str(error_file))
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    emitter = Emitter(None)  # rank 1 sends no events, but its error file is written
    with pytest.raises(ValueError, match="boom"), emitter.guard():
        raise ValueError("boom")
    data = json.loads(error_file.read_text())
    # The fields torch's agent reads (torch.distributed.elastic.multiprocessing.errors).
    assert data["message"]["message"] == "ValueError: boom"
    assert "raise ValueError" in data["message"]["extraInfo"]["py_callstack"]
    assert int(data["message"]["extraInfo"]["timestamp"]) > 0
    extra = data["message"]["extraInfo"]["trellis"]
    assert (extra["rank"], extra["local_rank"], extra["exc_type"], extra["message"]) == (1, 1, "ValueError", "boom")


def test_no_error_file_outside_a_launch(tmp_path, monkeypatch):
    monkeypatch.delenv("TORCHELASTIC_ERROR_FILE", raising=False)
    with pytest.raises(KeyError), Emitter(None).guard():
        raise KeyError("x")
    assert list(tmp_path.iterdir()) == []


def test_commands_appended_to_the_control_file_reach_rank_zero(tmp_path, monkeypatch):
    path = tmp_path / "control.jsonl"
    monkeypatch.setattr(control, "FILE_POLL_S", 0.01)
    c = control.Control()
    c.follow(str(path))
    with path.open("a") as f:
        f.write('{"command": "checkpoint"}\nnot json\n{"command": "st')
    deadline = time.monotonic() + 5
    while not c.take_checkpoint():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with path.open("a") as f:
        f.write('op"}\n')  # a line split across writes is read whole
    while not c.stop_requested:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_only_rank_zero_follows_the_control_file(tmp_path, monkeypatch):
    monkeypatch.delenv("TRELLIS_CONTROL_FD", raising=False)
    monkeypatch.setenv("TRELLIS_CONTROL_FILE", str(tmp_path / "c"))
    monkeypatch.setenv("RANK", "1")
    followed = []
    monkeypatch.setattr(control.Control, "follow", lambda self, p: followed.append(p))
    control.from_env()
    assert followed == []
    monkeypatch.setenv("RANK", "0")
    control.from_env()
    assert followed == [str(tmp_path / "c")]


def test_agree_is_the_flags_as_given_with_one_process(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert ranks.agree(None, True, False) == (True, False)
    ranks.barrier()  # a no-op


def test_heartbeat_records_the_rank_step_and_its_log_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TRELLIS_RANKS_DIR", str(tmp_path))
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("TORCHELASTIC_ERROR_FILE", "/logs/node1/x/attempt_0/1/error.json")
    ranks.heartbeat(12)
    beat = json.loads((tmp_path / "rank-3.json").read_text())
    assert (beat["rank"], beat["step"], beat["log_dir"]) == (3, 12, "/logs/node1/x/attempt_0/1")
    assert not list(tmp_path.glob("*.tmp"))


def test_a_cpu_launch_is_distributed_over_gloo_and_logs_once(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    fitted = environment.fit_precision({"bf16": True}, Emitter(None), has_cuda=False)
    assert fitted["use_cpu"] is True and fitted["ddp_backend"] == "gloo" and fitted["log_on_each_node"] is False
    assert fitted["bf16"] is False
    mine = environment.fit_precision({"ddp_backend": "mpi", "log_on_each_node": True}, Emitter(None), has_cuda=False)
    assert (mine["ddp_backend"], mine["log_on_each_node"]) == ("mpi", True), "the recipe's own values win"
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert "use_cpu" not in environment.fit_precision({}, Emitter(None), has_cuda=False)


def _node(name, torch="2.13.0", resolves=True):
    return {
        "host": "h",
        "node": name,
        "trellis": "0.1.0",
        "python": "3.11.7",
        "packages": {"torch": torch, "trl": "1.13.0"},
        "cuda": None,
        "driver": None,
        "master_addr": "n1",
        "master_problem": None if resolves else "gaierror: Name or service not known",
    }


def test_preflight_names_each_difference_between_nodes():
    assert differences([_node("n1"), _node("n2")]) == []
    problems = differences([_node("n1"), _node("n2", torch="2.12.0", resolves=False)])
    assert problems == [
        "node n2 cannot resolve the rendezvous address n1: gaierror: Name or service not known",
        "torch 2.13.0 on n1 but 2.12.0 on n2",
    ]


# launch.profile's names (src/core/distributed/block.ts PROFILES): TRL ships one accelerate config each.
PROFILES = {
    "multi_gpu": "MULTI_GPU",
    "zero1": "DEEPSPEED",
    "zero2": "DEEPSPEED",
    "zero3": "DEEPSPEED",
    "fsdp1": "FSDP",
    "fsdp2": "FSDP",
}


def test_trl_ships_every_profile_trellis_names():
    import importlib.util
    import os

    import yaml

    folder = os.path.join(os.path.dirname(importlib.util.find_spec("trl").origin), "accelerate_configs")
    for name, kind in PROFILES.items():
        with open(os.path.join(folder, f"{name}.yaml"), encoding="utf-8") as f:
            config = yaml.safe_load(f)
        # trellis passes --num_processes, --num_machines and --machine_rank over the file's values.
        assert config["distributed_type"] == kind, name
        assert {"num_processes", "num_machines", "machine_rank"} <= set(config), name
