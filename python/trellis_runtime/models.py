"""Find, load and prepare the model and tokenizer a stage starts from."""

from __future__ import annotations

import functools
import os
from typing import Any

from .events import Emitter

ADAPTER_CONFIG = "adapter_config.json"
# One request, no retries: huggingface_hub retries an unreachable Hub for about a minute per file.
HUB_PROBE_TIMEOUT_S = 5.0


class HubUnavailableError(OSError):
    """A Hub model that is not in the Hugging Face cache and cannot be downloaded now."""


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


def model_source(name_or_dir: str, model: dict[str, Any]) -> str:
    """What to load: the folder, the Hub name, or the cached copy's folder when the Hub cannot be reached."""
    return name_or_dir if os.path.isdir(name_or_dir) else hub_source(name_or_dir, model.get("revision"))


@functools.cache
def hub_source(name: str, revision: str | None) -> str:
    """A Hub model's source, found in seconds; HubUnavailableError when it is neither cached nor downloadable.

    Asked for an uncached model, an unreachable Hub costs about a minute of retries per file, and
    a cached model loaded by name still asks the Hub for each file: its cached folder asks nothing.
    """
    from huggingface_hub import constants, try_to_load_from_cache

    try:
        cached = try_to_load_from_cache(name, "config.json", revision=revision)
    except ValueError:  # not a Hub id at all: transformers says so in its own words
        return name
    folder = os.path.dirname(cached) if isinstance(cached, str) else None
    if constants.HF_HUB_OFFLINE:
        if folder:
            return name  # offline, transformers reads the cache without asking
        raise HubUnavailableError(unavailable_message(name, "HF_HUB_OFFLINE is set, so nothing is downloaded"))
    why = hub_unreachable(constants.ENDPOINT, name)
    if why is None:
        return name
    if folder:
        return folder
    raise HubUnavailableError(unavailable_message(name, f"the Hub ({constants.ENDPOINT}) cannot be reached: {why}"))


def hub_unreachable(endpoint: str, name: str, timeout: float = HUB_PROBE_TIMEOUT_S) -> str | None:
    """None when the Hub answers at all (any HTTP status), else why it could not be reached."""
    from huggingface_hub.utils import get_session

    try:
        get_session().head(f"{endpoint}/api/models/{name}", timeout=timeout)
    except Exception as exc:  # httpx's or requests' transport errors, whichever huggingface_hub uses
        return f"{type(exc).__name__}: {exc}"
    return None


def unavailable_message(name: str, why: str) -> str:
    from huggingface_hub import constants

    return (
        f"model {name} is not in the Hugging Face cache ({constants.HF_HUB_CACHE}) and {why}. "
        "Download it once where the Hub can be reached (it is then cached in HF_HOME; with it cached, "
        "HF_HUB_OFFLINE=1 runs without any network), or copy the model folder to this machine and name it "
        "in the recipe: model.name: /path/to/folder"
    )


def load_tokenizer(name_or_dir: str, model: dict[str, Any], emitter: Emitter) -> Any:
    """AutoTokenizer with the recipe's chat template, and a pad token whatever the source lacks.

    ORPO fails at train time without a pad token (docs/design/TRL_FACTS.md), and DPO and SFT silently fall
    back to EOS: setting it here makes every trainer behave alike and tells the user once.
    """
    from transformers import AutoTokenizer

    source = model_source(name_or_dir, model)
    if source != name_or_dir:
        why = f"the Hugging Face Hub cannot be reached: {name_or_dir} loads from its cached copy"
        emitter.notice("hub_unreachable", why)
    tokenizer = AutoTokenizer.from_pretrained(source, **hub_kwargs(source, model))
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
        source = model_source(name_or_dir, model)
        return AutoModelForCausalLM.from_pretrained(source, **dtype, **hub_kwargs(source, model), **load_options(model))

    from peft import PeftConfig, PeftModel

    base_name = PeftConfig.from_pretrained(name_or_dir).base_model_name_or_path
    if not base_name:
        raise ValueError(f"{name_or_dir}: the adapter does not name its base model")
    base_source = model_source(base_name, model)
    base = AutoModelForCausalLM.from_pretrained(
        base_source, **dtype, **hub_kwargs(base_source, model), **load_options(model)
    )
    return PeftModel.from_pretrained(base, name_or_dir).merge_and_unload()
