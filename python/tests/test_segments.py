"""The logging window a checkpoint carries, so that a resumed stage logs what an uninterrupted one does."""

from collections import defaultdict
from types import SimpleNamespace

import torch

from trellis_runtime import segments


def trainer(**kw):
    base = {
        "args": SimpleNamespace(process_index=0),
        "_tr_loss": torch.tensor(0.0),
        "_total_loss_scalar": 0.0,
        "_globalstep_last_logged": 0,
        "_metrics": {"train": defaultdict(list), "eval": defaultdict(list)},
        "_total_train_tokens": 0,
    }
    return SimpleNamespace(**{**base, **kw})


def test_the_window_saved_at_a_checkpoint_is_restored_bit_for_bit(tmp_path):
    loss = torch.tensor(0.1, dtype=torch.float32) + torch.tensor(0.2) + torch.tensor(1e-7)
    before = trainer(
        _tr_loss=loss,
        _total_loss_scalar=13.37,
        _globalstep_last_logged=20,
        _total_train_tokens=7628,
    )
    before._metrics["train"]["rewards/margins"] += [0.1, 0.2]
    before._metrics["train"]["num_tokens"] = [7628]
    segments.save_window(before, str(tmp_path), step=22)

    after = trainer(_globalstep_last_logged=22)  # what the Trainer sets when it resumes
    assert segments.restore_window(after, str(tmp_path), step=22)
    assert after._tr_loss.dtype == torch.float32 and torch.equal(after._tr_loss, loss)
    assert (after._total_loss_scalar, after._globalstep_last_logged, after._total_train_tokens) == (13.37, 20, 7628)
    assert after._metrics["train"] == {"rewards/margins": [0.1, 0.2], "num_tokens": [7628]}
    after._metrics["train"]["new"].append(1.0)  # still TRL's defaultdict


def test_no_window_or_another_step_leaves_the_trainer_as_it_was(tmp_path):
    segments.save_window(trainer(_globalstep_last_logged=5), str(tmp_path), step=5)
    t = trainer(_globalstep_last_logged=10)
    assert not segments.restore_window(t, str(tmp_path), step=10)
    assert not segments.restore_window(t, str(tmp_path / "missing"), step=5)
    assert t._globalstep_last_logged == 10


def test_orpo_stored_metrics_are_carried_too(tmp_path):
    store = defaultdict(lambda: defaultdict(list))
    store["train"]["nll_loss"].append(2.5)
    t = SimpleNamespace(args=SimpleNamespace(process_index=1), _stored_metrics=store)
    segments.save_window(t, str(tmp_path), step=3)
    assert (tmp_path / "trellis-log-window-1.json").exists()
    empty = defaultdict(lambda: defaultdict(list))
    fresh = SimpleNamespace(args=SimpleNamespace(process_index=1), _stored_metrics=empty)
    assert segments.restore_window(fresh, str(tmp_path), step=3)
    assert fresh._stored_metrics["train"] == {"nll_loss": [2.5]}


def test_summary_rates_count_the_steps_this_process_ran():
    args = SimpleNamespace(per_device_train_batch_size=8, gradient_accumulation_steps=2, world_size=1)
    summary = {"train_runtime": 4.0, "train_samples_per_second": 640.0, "train_steps_per_second": 40.0, "train_loss": 1}
    fixed = segments.segment_rates(summary, steps_run=20, args=args)
    assert fixed == {**summary, "train_samples_per_second": 80.0, "train_steps_per_second": 5.0}
    assert segments.segment_rates(summary, 20, SimpleNamespace()) == summary


def test_a_resumed_adapter_keeps_the_dtype_it_trained_in():
    """PEFT's load_adapter upcasts a bfloat16 (QLoRA) adapter to float32; resuming casts it back."""
    model = torch.nn.Linear(4, 4).to(torch.bfloat16)
    model.bias.requires_grad_(False)
    trained = model.weight.detach().clone()

    def load_from_checkpoint(checkpoint):
        for p in model.parameters():
            p.data = p.data.to(torch.float32)
        return checkpoint

    t = SimpleNamespace(model=model, _load_from_checkpoint=load_from_checkpoint)
    segments.keep_trainable_dtypes(t)
    assert t._load_from_checkpoint("checkpoint-6") == "checkpoint-6"
    assert model.weight.dtype == torch.bfloat16 and torch.equal(model.weight, trained)
    assert model.bias.dtype == torch.float32, "frozen parameters are left as loaded"
