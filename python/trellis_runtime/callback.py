"""A TrainerCallback that turns the Trainer's hooks into trellis events."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

from . import control as control_channel
from .events import Emitter

# Written into each checkpoint folder once the Trainer has finished writing it: trellis resumes
# only from checkpoints that have it, with every file at its recorded size.
CHECKPOINT_MARKER = "trellis-checkpoint.json"

# The Trainer's last log of a run carries these; no step log does.
SUMMARY_KEY = "train_runtime"
EVAL_PREFIX = "eval_"


class TrellisCallback(TrainerCallback):
    """Emits train_begin, metrics, eval, train_summary and checkpoint events from rank zero."""

    def __init__(
        self,
        emitter: Emitter,
        control: control_channel.Control | None = None,
        checkpoint_every_minutes: float = 0,
    ) -> None:
        self.emitter = emitter
        # Periodic checkpoints are the real safety net against crashes (signal handlers often
        # never get to run); 0 turns them off.
        self.checkpoint_every_s = checkpoint_every_minutes * 60
        self.last_save = time.monotonic()
        self.control = control if control is not None else control_channel.from_env()
        self.stopped = False
        self.last_checkpoint: str | None = None

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        # Commands from trellis take effect here, at a step boundary, where a checkpoint is whole.
        if self.control.take_checkpoint():
            control.should_save = True
        if self.checkpoint_every_s and time.monotonic() - self.last_save >= self.checkpoint_every_s:
            control.should_save = True
        if self.control.stop_requested and not self.stopped:
            self.stopped = True
            control.should_save = True
            control.should_training_stop = True
            if state.is_world_process_zero:
                self.emitter.emit("stopping", step=state.global_step)

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if state.is_world_process_zero:
            self.emitter.emit("train_begin", max_steps=state.max_steps, num_train_epochs=state.num_train_epochs)

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        if not state.is_world_process_zero or not logs:
            return
        # The epoch travels as its own field; inside metrics it would be charted as a metric.
        metrics = {k: v for k, v in logs.items() if k != "epoch"}
        if SUMMARY_KEY in logs:
            self.emitter.emit("train_summary", step=state.global_step, metrics=metrics)
        elif any(k.startswith(EVAL_PREFIX) for k in logs):
            self.emitter.emit(
                "eval", step=state.global_step, max_steps=state.max_steps, epoch=state.epoch, metrics=metrics
            )
        else:
            self.emitter.emit(
                "metrics", step=state.global_step, max_steps=state.max_steps, epoch=state.epoch, metrics=metrics
            )

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        if state.is_world_process_zero:
            path = os.path.join(args.output_dir, f"{PREFIX_CHECKPOINT_DIR}-{state.global_step}")
            self.last_checkpoint = path
            self.last_save = time.monotonic()
            write_checkpoint_marker(path, state.global_step)
            self.emitter.emit("checkpoint", step=state.global_step, path=path)


def write_checkpoint_marker(folder: str, step: int) -> None:
    """Record every file of a finished checkpoint with its size; written last, atomically."""
    if not os.path.isdir(folder):
        return
    files = {}
    for root, _dirs, names in os.walk(folder):
        for name in names:
            if name == CHECKPOINT_MARKER:
                continue
            full = os.path.join(root, name)
            files[os.path.relpath(full, folder)] = os.path.getsize(full)
    tmp = os.path.join(folder, CHECKPOINT_MARKER + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump({"step": step, "files": files}, out)
    os.replace(tmp, os.path.join(folder, CHECKPOINT_MARKER))
