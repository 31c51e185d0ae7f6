import os

import pytest

from trellis_runtime import environment


def test_cpu_turns_half_precision_off_quietly_when_unasked(recorder):
    args = {"output_dir": "x", "learning_rate": 1e-3}
    fitted = environment.fit_precision(args, recorder.emitter, has_cuda=False)
    assert fitted == {"output_dir": "x", "learning_rate": 1e-3, "bf16": False, "fp16": False}
    assert args == {"output_dir": "x", "learning_rate": 1e-3}  # a new dict
    assert recorder.events == []


@pytest.mark.parametrize("flag", ["bf16", "fp16"])
def test_cpu_turns_requested_half_precision_off_with_a_notice(recorder, flag):
    fitted = environment.fit_precision({flag: True}, recorder.emitter, has_cuda=False)
    assert fitted["bf16"] is False and fitted["fp16"] is False
    (notice,) = recorder.of_type("notice")
    assert notice["code"] == "precision_cpu"
    assert notice["message"] == f"{flag} requested but no GPU is available: training in float32"


def test_gpu_leaves_args_untouched(recorder):
    args = {"bf16": True}
    fitted = environment.fit_precision(args, recorder.emitter, has_cuda=True)
    assert fitted == args and fitted is not args
    assert recorder.events == []


def test_detects_this_machine(recorder):
    import torch

    fitted = environment.fit_precision({}, recorder.emitter)
    assert ("bf16" in fitted) != torch.cuda.is_available()


def test_prepare_sets_defaults_without_overriding(monkeypatch):
    monkeypatch.delenv("TRL_EXPERIMENTAL_SILENCE", raising=False)
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "true")
    environment.prepare({"seed": 7})
    assert os.environ["TRL_EXPERIMENTAL_SILENCE"] == "1"
    assert os.environ["TOKENIZERS_PARALLELISM"] == "true"


def test_prepare_runs_tiny_models_on_one_thread(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    environment.prepare({"seed": 1, "model": {"name": "org/big", "tiny": None}})
    assert "OMP_NUM_THREADS" not in os.environ
    environment.prepare({"seed": 1, "model": {"name": None, "tiny": {"hidden_size": 64}}})
    assert os.environ["OMP_NUM_THREADS"] == "1"
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    environment.prepare({"seed": 1, "model": {"name": None, "tiny": {"hidden_size": 64}}})
    assert os.environ["OMP_NUM_THREADS"] == "4"


def test_prepare_seeds_torch():
    import torch

    environment.prepare({"seed": 7})
    a = torch.rand(3)
    environment.prepare({"seed": 7})
    assert torch.equal(a, torch.rand(3))


def test_describe_device():
    import torch

    info = environment.describe_device()
    assert set(info) == {
        "device",
        "torch_version",
        "transformers_version",
        "trl_version",
        "cuda_available",
        "world_size",
    }
    assert info["world_size"] == 1
    assert info["cuda_available"] is torch.cuda.is_available()
    assert (info["device"] == "cpu") != info["cuda_available"]
    assert info["trl_version"].startswith("1.")
