import hashlib
import json
import os
from types import SimpleNamespace

import pytest
import torch

from trellis_runtime import checkpoint_digest as cd


def checkpoint(root, step, weights=b"w" * 64):
    folder = root / f"checkpoint-{step}"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(weights)
    (folder / "optimizer.pt").write_bytes(b"o" * 32)
    return folder


def test_marker_records_size_and_sha256(tmp_path):
    folder = checkpoint(tmp_path, 10)
    cd.write_marker(str(folder), 10)
    marker = json.loads((folder / cd.CHECKPOINT_MARKER).read_text())
    assert marker["files"]["model.safetensors"]["bytes"] == 64
    assert len(marker["files"]["model.safetensors"]["sha256"]) == 64
    assert marker["files"]["optimizer.pt"]["sha256"] == hashlib.sha256(b"o" * 32).hexdigest()
    assert marker["finite"] is True


def test_rotation_keeps_the_newest_good_ones_and_never_counts_an_unfinished_or_non_finite_one(tmp_path):
    for step in (10, 20, 30):
        cd.write_marker(str(checkpoint(tmp_path, step)), step)
    checkpoint(tmp_path, 5)  # no marker: an older leftover
    nan = checkpoint(tmp_path, 40)
    cd.write_marker(str(nan), 40, finite=False)
    checkpoint(tmp_path, 50)  # after the current step: left alone
    cd.rotate(str(tmp_path), 40, keep=2, best=None)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint-20", "checkpoint-30", "checkpoint-40", "checkpoint-50"]


def test_rotation_keeps_the_best_checkpoint(tmp_path):
    for step in (10, 20, 30):
        cd.write_marker(str(checkpoint(tmp_path, step)), step)
    cd.rotate(str(tmp_path), 30, keep=1, best=str(tmp_path / "checkpoint-10"))
    assert sorted(os.listdir(tmp_path)) == ["checkpoint-10", "checkpoint-30"]


def test_take_over_rotation_turns_the_trainers_off():
    args = SimpleNamespace(save_total_limit=2)
    assert cd.take_over_rotation(args) == 2
    assert args.save_total_limit is None


def test_non_finite_weights_are_refused():
    model = torch.nn.Linear(2, 2)
    cd.refuse_non_finite(model, 10)
    with torch.no_grad():
        model.weight[0, 0] = float("nan")
    with pytest.raises(cd.NonFiniteWeights, match=r"resumed at step 10 has NaN or infinite values in 'weight'"):
        cd.refuse_non_finite(model, 10)


def test_a_non_finite_value_past_the_first_slice_is_found(monkeypatch):
    monkeypatch.setattr(cd, "_FINITE_SLICE", 3)
    model = torch.nn.Linear(4, 4)
    with torch.no_grad():
        model.weight[3, 3] = float("-inf")
    assert cd.first_non_finite(model) == "weight"


def test_after_save_of_non_finite_weights_rotates_nothing(tmp_path):
    for step in (10, 20):
        cd.write_marker(str(checkpoint(tmp_path, step)), step)
    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        model.bias[0] = float("inf")
    notices = []
    emitter = SimpleNamespace(notice=lambda code, message: notices.append(code))
    state = SimpleNamespace(global_step=30, best_model_checkpoint=None)
    assert cd.after_save(str(checkpoint(tmp_path, 30)), state, model, 2, emitter) is False
    assert len(os.listdir(tmp_path)) == 3
    assert notices == ["checkpoint-not-finite"]
    assert json.loads((tmp_path / "checkpoint-30" / cd.CHECKPOINT_MARKER).read_text())["finite"] is False


def test_keep_private_sets_umask_077():
    before = os.umask(0o022)
    try:
        cd.keep_private()
        assert os.umask(0o022) == 0o077
    finally:
        os.umask(before)
