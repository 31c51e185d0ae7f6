"""What a stage run in several segments (stopped, then resumed) must carry across them.

The Trainer's checkpoint restores the weights, optimizer, scheduler, RNG states and data
position, so a resumed run computes every step as the uninterrupted run does. What it does not
restore is the logging window: the losses and TRL metrics summed since the last log line, and
TRL's running token count. A run stopped at step 21 with `logging_steps: 5` then logs at step 25
the mean of steps 22-25 where the uninterrupted run logs the mean of 21-25, and `num_tokens`
starts again from 0: `trellis reproduce` would report a difference where no step differed.
So each checkpoint gets the window as well, one small file per process, and a resumed trainer
starts with it.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any

WINDOW_FILE = "trellis-log-window-{rank}.json"


def _rank(trainer: Any) -> int:
    return int(getattr(getattr(trainer, "args", None), "process_index", 0) or 0)


def window_file(folder: str, trainer: Any) -> str:
    return os.path.join(folder, WINDOW_FILE.format(rank=_rank(trainer)))


def _train_metrics(trainer: Any) -> dict[str, list[float]] | None:
    """TRL's per-step values since the last log (`_metrics` in TRL 1.x; ORPO's `_stored_metrics`)."""
    for name in ("_metrics", "_stored_metrics"):
        store = getattr(trainer, name, None)
        # ORPO's is a defaultdict whose "train" entry is deleted at every log line.
        if isinstance(store, dict) and ("train" in store or isinstance(store, defaultdict)):
            return store["train"]
    return None


def save_window(trainer: Any, folder: str, step: int) -> None:
    """Write the logging window into the checkpoint `folder` (before its completion marker)."""
    if trainer is None or not os.path.isdir(folder):
        return
    loss = getattr(trainer, "_tr_loss", None)
    metrics = _train_metrics(trainer)
    window = {
        "step": step,
        "tr_loss": float(loss.item()) if loss is not None else None,
        "total_loss_scalar": getattr(trainer, "_total_loss_scalar", None),
        "globalstep_last_logged": getattr(trainer, "_globalstep_last_logged", None),
        "metrics": {k: list(v) for k, v in metrics.items()} if metrics is not None else None,
        "total_train_tokens": getattr(trainer, "_total_train_tokens", None),
    }
    tmp = window_file(folder, trainer) + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(window, out)  # floats as repr: they read back bit for bit
    os.replace(tmp, window_file(folder, trainer))


def restore_window(trainer: Any, folder: str, step: int) -> bool:
    """Start a resumed trainer with the window saved at `step`; False when there is none.

    Call it after the Trainer has reset its logging state (`on_train_begin` is).
    """
    if trainer is None:
        return False
    try:
        with open(window_file(folder, trainer), encoding="utf-8") as f:
            window = json.load(f)
    except (OSError, ValueError):
        return False  # a checkpoint from an older trellis: resumes as before
    if window.get("step") != step:
        return False
    loss = getattr(trainer, "_tr_loss", None)
    if loss is not None and window.get("tr_loss") is not None:
        trainer._tr_loss = loss.new_tensor(window["tr_loss"])
    for key in ("total_loss_scalar", "globalstep_last_logged", "total_train_tokens"):
        if window.get(key) is not None and hasattr(trainer, f"_{key}"):
            setattr(trainer, f"_{key}", window[key])
    metrics = _train_metrics(trainer)
    if metrics is not None and window.get("metrics") is not None:
        metrics.clear()
        for k, v in window["metrics"].items():
            metrics[k] = list(v)
    return True


def keep_trainable_dtypes(trainer: Any) -> None:
    """Resuming keeps each trainable parameter in the dtype it trained in.

    TRL trains a QLoRA adapter in bfloat16; the Trainer resumes a PEFT model with PEFT's
    `load_adapter`, which upcasts a bfloat16 adapter to float32, so the resumed steps would be
    computed in another precision than the uninterrupted run's. The checkpoint holds the
    bfloat16 values: casting back restores them exactly, before the optimizer is built.
    """
    original = getattr(trainer, "_load_from_checkpoint", None)
    if original is None:
        return

    def load(checkpoint: str, *rest: Any, **kw: Any) -> Any:
        model = getattr(trainer, "model", None)
        if model is None:
            return original(checkpoint, *rest, **kw)
        before = {name: p.dtype for name, p in model.named_parameters() if p.requires_grad}
        result = original(checkpoint, *rest, **kw)
        for name, p in model.named_parameters():
            if p.requires_grad and name in before and p.dtype != before[name]:
                p.data = p.data.to(before[name])
        return result

    trainer._load_from_checkpoint = load


def segment_rates(metrics: dict[str, Any], steps_run: int, args: Any) -> dict[str, Any]:
    """The summary's rates over the steps this process ran, not over the stage's max steps.

    The Trainer divides every sample of the stage by this process's runtime, as if all its
    steps had run here: wrong for a stopped segment and for a resumed one.
    """
    runtime = metrics.get("train_runtime")
    per_device = getattr(args, "per_device_train_batch_size", None)
    if not runtime or runtime <= 0 or not per_device:
        return metrics
    accumulation = getattr(args, "gradient_accumulation_steps", 1) or 1
    batch = per_device * accumulation * max(1, int(getattr(args, "world_size", 1) or 1))
    fixed = dict(metrics)
    if "train_samples_per_second" in fixed:
        fixed["train_samples_per_second"] = round(steps_run * batch / runtime, 3)
    if "train_steps_per_second" in fixed:
        fixed["train_steps_per_second"] = round(steps_run / runtime, 3)
    return fixed
