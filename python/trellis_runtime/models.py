"""Find, load and prepare the model and tokenizer a stage starts from."""

from __future__ import annotations

import os
from typing import Any

from .events import Emitter

ADAPTER_CONFIG = "adapter_config.json"


def resolve_model_name(model: dict[str, Any]) -> str:
    """The Hub name or local folder of the recipe's model, building a tiny model if asked."""
    if model.get("name"):
        return model["name"]
    if model.get("tiny"):
        from .tiny import ensure_tiny_model

        return ensure_tiny_model(model["tiny"])
    raise ValueError("the model spec names neither a model nor a tiny model")


def is_adapter_dir(name_or_dir: str) -> bool:
    """True for the output of an earlier LoRA stage: a PEFT adapter, not full weights."""
    return os.path.isfile(os.path.join(name_or_dir, ADAPTER_CONFIG))


def hub_kwargs(name_or_dir: str, model: dict[str, Any]) -> dict[str, Any]:
    """Loading options; the revision names a Hub commit, so a local folder gets none."""
    kwargs: dict[str, Any] = {"trust_remote_code": bool(model.get("trust_remote_code"))}
    if model.get("revision") and not os.path.isdir(name_or_dir):
        kwargs["revision"] = model["revision"]
    return kwargs


def load_tokenizer(name_or_dir: str, model: dict[str, Any], emitter: Emitter) -> Any:
    """AutoTokenizer with the recipe's chat template, and a pad token whatever the source lacks.

    ORPO fails at train time without a pad token (docs/design/TRL_FACTS.md), and DPO and SFT silently fall
    back to EOS: setting it here makes every trainer behave alike and tells the user once.
    """
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(name_or_dir, **hub_kwargs(name_or_dir, model))
    if model.get("chat_template"):
        tokenizer.chat_template = model["chat_template"]
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise ValueError(f"the tokenizer of {name_or_dir} has neither a pad token nor an eos token")
        tokenizer.pad_token = tokenizer.eos_token
        emitter.notice(
            "pad_token",
            f"the tokenizer has no pad token; using its eos token '{tokenizer.eos_token}' for padding",
        )
    return tokenizer


def torch_dtype(name: str | None) -> Any:
    """'auto' stays a string (transformers reads it); other names become torch dtypes."""
    import torch

    if name in (None, "auto"):
        return "auto"
    dtype = getattr(torch, name, None)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"unknown dtype {name!r}")
    return dtype


def load_model(name_or_dir: str, model: dict[str, Any]) -> Any:
    """AutoModelForCausalLM; a LoRA stage's output is loaded onto its base and merged.

    Merging means the next stage starts from plain weights: it can add a fresh adapter, and a DPO
    stage's reference model is exactly the earlier stage's result.
    """
    from transformers import AutoModelForCausalLM

    from .compat import dtype_keyword
    from .quantization import load_options

    dtype = {dtype_keyword(): torch_dtype(model.get("dtype"))}  # torch_dtype= before transformers 4.56
    if not is_adapter_dir(name_or_dir):
        return AutoModelForCausalLM.from_pretrained(
            name_or_dir, **dtype, **hub_kwargs(name_or_dir, model), **load_options(model)
        )

    from peft import PeftConfig, PeftModel

    base_name = PeftConfig.from_pretrained(name_or_dir).base_model_name_or_path
    if not base_name:
        raise ValueError(f"{name_or_dir}: the adapter does not name its base model")
    base = AutoModelForCausalLM.from_pretrained(
        base_name, **dtype, **hub_kwargs(base_name, model), **load_options(model)
    )
    return PeftModel.from_pretrained(base, name_or_dir).merge_and_unload()
