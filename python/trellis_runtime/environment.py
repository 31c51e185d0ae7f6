"""The process environment a stage runs in: env defaults, seeds, device facts, precision."""

from __future__ import annotations

import os
from typing import Any

from .events import Emitter

ENV_DEFAULTS = {
    # Tokenizers' thread pool and datasets' worker processes warn when they meet after a fork.
    "TOKENIZERS_PARALLELISM": "false",
    # ORPO lives in trl.experimental, whose import otherwise prints a warning on every run.
    "TRL_EXPERIMENTAL_SILENCE": "1",
}
# A tiny model's matrices are too small to split across threads, and when other processes share
# the cores (parallel tests, CI), OpenMP's spinning threads collapse: on 2 busy cores an ORPO
# quickstart stage trained in 54 s with 2 threads and 5 s with 1 (2.4 s and 3.3 s when idle).
TINY_MODEL_ENV = {"OMP_NUM_THREADS": "1"}
HALF_PRECISION_FLAGS = ("bf16", "fp16")


def prepare(spec: dict[str, Any]) -> None:
    """Set env defaults (the user's own values win) and seed every RNG.

    Call it before torch is imported: torch reads OMP_NUM_THREADS once, when it loads. The seed is
    set here, before any model is built, because `args.seed` does not seed the LoRA initial
    weights (docs/design/TRL_FACTS.md).
    """
    defaults = dict(ENV_DEFAULTS)
    model = spec.get("model") or {}
    if model.get("tiny") and not model.get("name"):
        defaults.update(TINY_MODEL_ENV)
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    from transformers import set_seed

    set_seed(spec["seed"])


def _launched() -> bool:
    """Started by torchrun or accelerate with more than one process."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1")) > 1
    except ValueError:
        return False


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def describe_device() -> dict[str, Any]:
    """Facts for the stage_start event: what ran this stage, with which versions."""
    import torch
    import transformers
    import trl

    has_cuda = torch.cuda.is_available()
    from .ranks import world_size

    return {
        "world_size": world_size(),
        "device": torch.cuda.get_device_name(0) if has_cuda else "cpu",
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "trl_version": trl.__version__,
        "cuda_available": has_cuda,
    }


def fit_precision(args: dict[str, Any], emitter: Emitter, has_cuda: bool | None = None) -> dict[str, Any]:
    """Return a copy of the trainer args that can run on this machine.

    TRL configs resolve bf16 to True, which raises on a machine without a GPU. Without CUDA,
    half precision is turned off (with a notice when the recipe asked for it); with CUDA the
    args are the recipe's own. `has_cuda` exists for tests.
    """
    fitted = dict(args)
    if has_cuda is None:
        has_cuda = cuda_available()
    if _launched():
        # Only rank 0 logs (one metrics line per step, not one per node).
        fitted.setdefault("log_on_each_node", False)
        if not has_cuda:
            # Without use_cpu the Trainer leaves a CPU run undistributed: every rank trains alone,
            # silently (docs/design/TRL_FACTS.md). gloo is torch's CPU backend.
            fitted.setdefault("use_cpu", True)
            fitted.setdefault("ddp_backend", "gloo")
    if has_cuda:
        return fitted
    for flag in HALF_PRECISION_FLAGS:
        if fitted.get(flag) is True:
            emitter.notice("precision_cpu", f"{flag} requested but no GPU is available: training in float32")
        fitted[flag] = False
    return fitted
