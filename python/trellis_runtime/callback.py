"""A TrainerCallback that turns the Trainer's hooks into trellis events."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

from . import checkpoint_digest, perf, ranks, segments, usage
from . import control as control_channel
from .checkpoint_digest import CHECKPOINT_MARKER  # noqa: F401  (where tests and older code look for it)
from .events import Emitter

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
        checkpoint_digest.keep_private()
        # Periodic checkpoints are the real safety net against crashes (signal handlers often
        # never get to run); 0 turns them off.
        self.checkpoint_every_s = checkpoint_every_minutes * 60
        self.last_save = time.monotonic()
        self.control = control if control is not None else control_channel.from_env()
        self.stopped = False
        self.last_checkpoint: str | None = None
        self.keep_checkpoints: int | None = None
        self.meter = Meter()
        self.trainer: Any = None
        self.first_step = 0  # where this process's training began: > 0 when resumed

    def watch(self, trainer: Any) -> None:
        """Count real tokens, padding and examples of every micro-batch the trainer trains on."""
        self.trainer = trainer
        segments.keep_trainable_dtypes(trainer)  # a resumed QLoRA adapter stays in bfloat16
        self.meter.watch(trainer)

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self.meter.step_done()
        ranks.heartbeat(state.global_step)
        # Commands from trellis take effect here, at a step boundary, where a checkpoint is whole.
        # With several processes every rank must save (and stop) at the same step: rank 0's
        # commands and clock decide, and all ranks agree on them in one small all-reduce.
        save = self.control.take_checkpoint()
        save = save or bool(self.checkpoint_every_s and time.monotonic() - self.last_save >= self.checkpoint_every_s)
        save, stop = ranks.agree(args, save, self.control.stop_requested)
        if save:
            control.should_save = True
        if stop and not self.stopped:
            self.stopped = True
            control.should_save = True
            control.should_training_stop = True
            if state.is_world_process_zero:
                self.emitter.emit("stopping", step=state.global_step)

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self.meter.begin(args, kwargs.get("model"))
        ranks.heartbeat(state.global_step)
        # Resumed: the logging window saved with the checkpoint (segments.py), as if never stopped.
        self.first_step = state.global_step
        if state.global_step > 0:
            checkpoint = os.path.join(args.output_dir, f"{PREFIX_CHECKPOINT_DIR}-{state.global_step}")
            segments.restore_window(self.trainer, checkpoint, state.global_step)
        checkpoint_digest.refuse_non_finite(kwargs.get("model"), state.global_step)
        self.keep_checkpoints = checkpoint_digest.take_over_rotation(args)  # rotated in on_save, once verified
        if state.is_world_process_zero:
            self.emitter.emit(
                "train_begin",
                max_steps=state.max_steps,
                num_train_epochs=state.num_train_epochs,
                **self.meter.describe(),
            )

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self.meter.pause_ended()

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
            metrics = segments.segment_rates(metrics, state.global_step - self.first_step, args)
            self.emitter.emit("train_summary", step=state.global_step, metrics=metrics)
        elif any(k.startswith(EVAL_PREFIX) for k in logs):
            self.emitter.emit(
                "eval", step=state.global_step, max_steps=state.max_steps, epoch=state.epoch, metrics=metrics
            )
        else:
            extra = {}
            rates = self.meter.take()
            if rates is not None:
                extra["throughput"] = rates
            extra["usage"] = self.meter.usage()
            self.emitter.emit(
                "metrics",
                step=state.global_step,
                max_steps=state.max_steps,
                epoch=state.epoch,
                metrics=metrics,
                **extra,
            )

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        # The stage's cost up to the end of training (imports, data, model, evaluation, training).
        if state.is_world_process_zero:
            self.emitter.emit("usage", step=state.global_step, **self.meter.usage())

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self.last_save = time.monotonic()
        path = os.path.join(args.output_dir, f"{PREFIX_CHECKPOINT_DIR}-{state.global_step}")
        segments.save_window(self.trainer, path, state.global_step)
        # Each rank writes its own RNG state: the checkpoint is complete once all have.
        ranks.barrier()
        if state.is_world_process_zero:
            self.last_checkpoint = path
            self.last_save = time.monotonic()
            checkpoint_digest.after_save(path, state, kwargs.get("model"), self.keep_checkpoints, self.emitter)
            self.emitter.emit("checkpoint", step=state.global_step, path=path)
        self.meter.pause_ended()


class Meter:
    """Tokens and seconds of training between two log lines (evaluation and saving left out)."""

    def __init__(self) -> None:
        self.window = perf.Window()
        self.mark = time.monotonic()
        self.paired_rows = False
        self.world_size = 1
        self.fpt: float | None = None
        self.peak: float | None = None
        self.flops: perf.FlopsModel | None = None
        self.device_name: str | None = None
        # Since the end of the first step (warm-up left out): what a planner probe reports.
        self.totals = _Totals()
        self.step_tokens = 0
        # Every token trained since the stage began, for the cost `trellis compare` reports.
        self.total_tokens = 0
        self.on_gpu = False

    def watch(self, trainer: Any) -> None:
        original = trainer.training_step

        def training_step(model: Any, inputs: Any, *rest: Any, **kw: Any) -> Any:
            try:
                counted = perf.count_batch(inputs, self.paired_rows, getattr(trainer, "packs_batches", False))
            except Exception:  # counting must never stop training
                counted = None
            if counted is not None:
                self.window.tokens += counted.tokens
                self.step_tokens += counted.tokens
                self.total_tokens += counted.tokens
                self.window.padding += counted.padding
                self.window.samples += counted.samples
            return original(model, inputs, *rest, **kw)

        trainer.training_step = training_step

    def begin(self, args: Any, model: Any) -> None:
        is_dpo = type(args).__name__ == "DPOConfig"
        self.paired_rows = is_dpo
        self.world_size = max(1, int(getattr(args, "world_size", 1) or 1))
        self.device_name = _device_name(args)
        self.on_gpu = self.device_name is not None
        self.peak = perf.peak_tflops(self.device_name)
        if model is not None:
            params, trainable, lora = _count_params(model)
            with_reference = is_dpo or type(args).__name__ == "KTOConfig"
            reference = with_reference and not getattr(args, "precompute_ref_log_probs", False)
            self.flops = perf.FlopsModel(params, trainable, lora, reference, perf.kl_forwards(args))
            self.fpt = perf.flops_per_token(self.flops)
        self.window = perf.Window()
        self.mark = time.monotonic()

    def describe(self) -> dict[str, Any]:
        """What the MFU estimate rests on, for the train_begin event."""
        if self.flops is None:
            return {}
        return {
            "flops": {
                "params": self.flops.params,
                "trainable_params": self.flops.trainable,
                "lora": self.flops.lora,
                "reference_forward": self.flops.reference_forward,
                "flops_per_token": self.fpt,
                "device_name": self.device_name,
                "peak_tflops": self.peak,
                "world_size": self.world_size,
            }
        }

    def step_done(self) -> None:
        now = time.monotonic()
        self.window.seconds += now - self.mark
        self.totals.add(self.step_tokens, now - self.mark)
        self.step_tokens = 0
        self.mark = now

    def pause_ended(self) -> None:
        """Evaluation or a checkpoint just finished: that time is not training time."""
        self.mark = time.monotonic()

    def usage(self) -> dict[str, Any]:
        return usage.snapshot(self.total_tokens, self.world_size, self.on_gpu)

    def take(self) -> dict[str, Any] | None:
        rates = perf.throughput(self.window, self.world_size, self.fpt, self.peak)
        self.window = perf.Window()
        return rates


@dataclasses.dataclass
class _Totals:
    tokens: int = 0
    seconds: float = 0.0
    steps: int = 0

    def add(self, tokens: int, seconds: float) -> None:
        self.steps += 1
        if self.steps > 1:  # the first step pays for warm-up (allocator, kernels, compilation)
            self.tokens += tokens
            self.seconds += seconds


def _device_name(args: Any) -> str | None:
    device = str(getattr(args, "device", "cpu"))
    if not device.startswith("cuda"):
        return None
    import torch

    return torch.cuda.get_device_name(torch.device(device))


def _count_params(model: Any) -> tuple[int, int, bool]:
    """(matmul parameters of the base model, trainable parameters, is it LoRA)."""
    total = trainable = lora_params = 0
    for name, p in model.named_parameters():
        n = p.numel()
        total += n
        if p.requires_grad:
            trainable += n
        if "lora_" in name:
            lora_params += n
    lora = lora_params > 0
    base = total - lora_params
    embeddings = model.get_input_embeddings() if hasattr(model, "get_input_embeddings") else None
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    weight = getattr(embeddings, "weight", None)
    # An embedding lookup costs no FLOPs; a tied one is the LM head too, which does.
    if weight is not None and (head is None or getattr(head, "weight", None) is not weight):
        base -= weight.numel()
    return base, (trainable if lora else base), lora
