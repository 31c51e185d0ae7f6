from types import SimpleNamespace

import pytest
from transformers import TrainerControl, TrainerState

from trellis_runtime.callback import TrellisCallback


@pytest.fixture
def state():
    s = TrainerState(max_steps=40, num_train_epochs=2)
    s.global_step = 10
    s.epoch = 0.5
    return s


ARGS = SimpleNamespace(output_dir="/runs/out")


def test_train_begin(recorder, state):
    TrellisCallback(recorder.emitter).on_train_begin(ARGS, state, TrainerControl())
    (event,) = recorder.events
    assert event["type"] == "train_begin"
    assert event["max_steps"] == 40 and event["num_train_epochs"] == 2


def test_step_logs_become_metrics_without_epoch(recorder, state):
    TrellisCallback(recorder.emitter).on_log(
        ARGS, state, TrainerControl(), logs={"loss": float("nan"), "learning_rate": 1e-3, "epoch": 0.5}
    )
    (event,) = recorder.events
    assert event["type"] == "metrics"
    assert (event["step"], event["max_steps"], event["epoch"]) == (10, 40, 0.5)
    assert event["metrics"] == {"loss": "NaN", "learning_rate": 1e-3}


def test_eval_logs_become_eval(recorder, state):
    TrellisCallback(recorder.emitter).on_log(
        ARGS, state, TrainerControl(), logs={"eval_loss": 0.7, "eval_runtime": 0.1, "epoch": 0.5}
    )
    (event,) = recorder.events
    assert event["type"] == "eval"
    assert event["step"] == 10 and event["max_steps"] == 40 and event["epoch"] == 0.5
    assert event["metrics"] == {"eval_loss": 0.7, "eval_runtime": 0.1}


def test_final_log_becomes_train_summary(recorder, state):
    logs = {"train_runtime": 1.2, "train_loss": 0.4, "train_samples_per_second": 100.0, "epoch": 2.0}
    TrellisCallback(recorder.emitter).on_log(ARGS, state, TrainerControl(), logs=logs)
    (event,) = recorder.events
    assert event["type"] == "train_summary"
    assert event["step"] == 10
    assert event["metrics"] == {"train_runtime": 1.2, "train_loss": 0.4, "train_samples_per_second": 100.0}


def test_save_points_at_the_checkpoint_folder(recorder, state):
    TrellisCallback(recorder.emitter).on_save(ARGS, state, TrainerControl())
    (event,) = recorder.events
    assert event == {**event, "type": "checkpoint", "step": 10, "path": "/runs/out/checkpoint-10"}


def test_other_ranks_stay_silent(recorder, state):
    state.is_world_process_zero = False
    callback = TrellisCallback(recorder.emitter)
    callback.on_train_begin(ARGS, state, TrainerControl())
    callback.on_log(ARGS, state, TrainerControl(), logs={"loss": 1.0})
    callback.on_save(ARGS, state, TrainerControl())
    assert recorder.events == []
