"""Quantised loading (QLoRA through bitsandbytes) and the attention kernel: from_pretrained options.

The recipe's `model.quantization` and `model.attn_implementation` arrive here as data; every
default is decided in this module, so the rendered script and `trellis merge` load alike.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

# QLoRA's defaults (Dettmers et al. 2023): NormalFloat4 with the constants quantised too.
DEFAULT_QUANT_TYPE = "nf4"
DEFAULT_DOUBLE_QUANT = True
MISSING_BNB = (
    "model.quantization needs the bitsandbytes package, which this environment lacks: "
    'add "extras: [bitsandbytes]" to the recipe, or run with --extra bitsandbytes'
)


# bitsandbytes trains on a CPU from its multi-backend releases on (0.50.2 is locked and tested).
BNB_CPU_SINCE = (0, 46)


def device_problems(spec: dict[str, Any], has_cuda: bool, bnb_version: str | None) -> list[str]:
    """What this machine cannot run in the stage's settings, one actionable line each (nothing is loaded)."""
    problems = []
    model, args = spec.get("model") or {}, spec.get("args") or {}
    if args.get("use_liger_kernel") is True and not has_cuda:
        problems.append(
            "use_liger_kernel: true needs a CUDA GPU (Liger's kernels are Triton) and this machine has none: remove it"
        )
    if model.get("attn_implementation") == "flash_attention_2" and not has_cuda:
        problems.append("attn_implementation flash_attention_2 needs a CUDA GPU and this machine has none: use sdpa")
    if model.get("quantization"):
        if bnb_version is None:
            problems.append(MISSING_BNB)
        elif not has_cuda and tuple(int(p) for p in bnb_version.split(".")[:2] if p.isdigit()) < BNB_CPU_SINCE:
            since = ".".join(map(str, BNB_CPU_SINCE))
            problems.append(
                f"model.quantization on a machine without a GPU needs bitsandbytes >= {since} "
                f"(its CPU backend); this environment has {bnb_version}: use trellis's bitsandbytes extra, or a GPU"
            )
    return problems


def check_device(spec: dict[str, Any]) -> None:
    """Fail before data and model load when this machine cannot run the stage's settings."""
    from importlib.metadata import PackageNotFoundError, version

    import torch

    try:
        bnb_version: str | None = version("bitsandbytes")
    except PackageNotFoundError:
        bnb_version = None
    problems = device_problems(spec, torch.cuda.is_available(), bnb_version)
    if problems:
        raise RuntimeError("; ".join(problems))


def _dtype(name: str) -> Any:
    import torch

    return getattr(torch, name)


def compute_dtype_name(quantization: dict[str, Any], model_dtype: str | None, has_cuda: bool | None = None) -> str:
    """The dtype 4-bit matmuls run in: the recipe's, else model.dtype, else bf16/fp16 on a GPU, float32 on a CPU."""
    chosen = quantization.get("compute_dtype")
    if chosen and chosen != "auto":
        return chosen
    if model_dtype and model_dtype != "auto":
        return model_dtype
    if has_cuda is None:
        import torch

        has_cuda = torch.cuda.is_available()
    if not has_cuda:
        return "float32"
    import torch

    return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"


def bnb_config(quantization: dict[str, Any], model_dtype: str | None) -> Any:
    """transformers' BitsAndBytesConfig for the recipe's 4- or 8-bit settings."""
    try:
        import bitsandbytes  # noqa: F401
    except ImportError as err:
        raise ImportError(MISSING_BNB) from err
    from transformers import BitsAndBytesConfig

    if quantization["bits"] == 8:
        return BitsAndBytesConfig(load_in_8bit=True)
    kwargs: dict[str, Any] = {
        "load_in_4bit": True,
        "bnb_4bit_quant_type": quantization.get("quant_type") or DEFAULT_QUANT_TYPE,
        "bnb_4bit_use_double_quant": quantization.get("double_quant", DEFAULT_DOUBLE_QUANT),
        "bnb_4bit_compute_dtype": _dtype(compute_dtype_name(quantization, model_dtype)),
    }
    if quantization.get("quant_storage"):
        kwargs["bnb_4bit_quant_storage"] = _dtype(quantization["quant_storage"])
    return BitsAndBytesConfig(**kwargs)


def device_map() -> Any:
    """Quantised weights are placed when loaded: this process's GPU (LOCAL_RANK under a launcher), else the CPU."""
    import torch

    if torch.cuda.is_available():
        return {"": int(os.environ.get("LOCAL_RANK", "0"))}
    return {"": "cpu"}


def load_options(model: dict[str, Any]) -> dict[str, Any]:
    """Extra from_pretrained keywords for the recipe's model block (none for a plain model)."""
    kwargs: dict[str, Any] = {}
    if model.get("attn_implementation"):
        kwargs["attn_implementation"] = model["attn_implementation"]
    if model.get("quantization"):
        kwargs["quantization_config"] = bnb_config(model["quantization"], model.get("dtype"))
        kwargs["device_map"] = device_map()
    return kwargs


def is_quantized(model: Any) -> bool:
    return bool(getattr(model, "is_loaded_in_4bit", False) or getattr(model, "is_loaded_in_8bit", False))


def prepare_for_training(model: Any, args: dict[str, Any]) -> Any:
    """PEFT's k-bit preparation for a quantised model (norms and embeddings in float32, input grads).

    TRL 1.13's DPO and SFT trainers skip it (ORPO does it itself, a second call changes nothing).
    Gradient checkpointing follows the stage's args, whose TRL default is on.
    """
    if not is_quantized(model):
        return model
    from peft import prepare_model_for_kbit_training

    checkpointing = bool(args.get("gradient_checkpointing", True))
    return prepare_model_for_kbit_training(
        model,
        use_gradient_checkpointing=checkpointing,
        gradient_checkpointing_kwargs=args.get("gradient_checkpointing_kwargs"),
    )


def dequantize(model: Any) -> Any:
    """Plain weights in the compute dtype from a quantised model: what its adapter was trained against."""
    if not is_quantized(model):
        return model
    model = model.dequantize()
    # A saved config that still names a quantisation would make plain transformers load it quantised.
    for holder in (model.config, getattr(model, "hf_quantizer", None)):
        if holder is not None and hasattr(holder, "quantization_config"):
            with contextlib.suppress(AttributeError):
                delattr(holder, "quantization_config")
    model.is_loaded_in_4bit = False
    model.is_loaded_in_8bit = False
    return model


def match_saved_modules(model: Any, args: Any) -> int:
    """Whole-module copies PEFT trains (LoRA's modules_to_save) back in their original module's dtype.

    For a quantised model TRL casts every trainable parameter to bfloat16 (QLoRA's recipe). A LoRA
    layer casts its input to its own dtype, so its bfloat16 adapter works in any run; a
    modules_to_save copy (an lm_head, an embedding) is a plain module and computes in its weights'
    dtype. Under bf16/fp16 autocast (a GPU) that is fine; without autocast (a CPU, where
    fit_precision turns half precision off) the bfloat16 lm_head meets float32 activations and the
    first forward fails: "expected m1 and m2 to have the same dtype". Only those copies change, so
    a QLoRA run without modules_to_save trains exactly as before. Returns how many were cast.
    """
    if not is_quantized(model) or getattr(args, "bf16", False) or getattr(args, "fp16", False):
        return 0
    from peft.utils.other import ModulesToSaveWrapper

    cast = 0
    for module in model.modules():
        if not isinstance(module, ModulesToSaveWrapper):
            continue
        original = next(module.original_module.parameters(), None)
        if original is None:
            continue
        for param in module.modules_to_save.parameters():
            if param.is_floating_point() and param.dtype != original.dtype:
                param.data = param.data.to(original.dtype)
                cast += 1
    return cast
