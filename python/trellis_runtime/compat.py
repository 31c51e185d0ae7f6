"""What the helpers do differently under older TRL, transformers and peft releases.

The rendered script's own lines are chosen for the target TRL when it is rendered; these
helpers are copied beside every script alike, so they ask the environment that runs them which
releases it has, and take the API those releases have (checked against real environments by
scripts/test-versions.mjs).
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
from typing import Any

# transformers renamed from_pretrained's `torch_dtype` to `dtype` in 4.56; older releases
# pass an unknown `dtype` on to the model's config, which then fails or is ignored.
TRANSFORMERS_DTYPE_KEYWORD = (4, 56)
# The releases that write what a stage caches and loads again (the normalised data set, and TRL's
# tokenized maps, which chain from its fingerprint): an environment with other releases of any of
# them gets other cache entries, never one it may not read (datasets 4's `List` feature is unknown
# to datasets 3; a tokenizer from transformers 5 to 4.x).
CACHE_WRITERS = ("datasets", "pyarrow", "trl", "transformers", "tokenizers", "torch")


@functools.cache
def version_of(package: str) -> tuple[int, int, int]:
    """The installed release of `package` as numbers: '4.57.6' -> (4, 57, 6); (0, 0, 0) when absent."""
    try:
        text = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return (0, 0, 0)
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)) if m else (0, 0, 0)


def releases(packages: tuple[str, ...] = CACHE_WRITERS) -> dict[str, str]:
    """The installed release of each package, for cache keys: {'datasets': '3.6.0', ...}."""
    return {name: ".".join(map(str, version_of(name))) for name in packages}


def dtype_keyword() -> str:
    """The from_pretrained keyword for the weights' dtype in the installed transformers."""
    return "dtype" if version_of("transformers")[:2] >= TRANSFORMERS_DTYPE_KEYWORD else "torch_dtype"


def selective_log_softmax(logits: Any, index: Any) -> Any:
    """log_softmax(logits) at `index`, per position. TRL 0.13+ has a memory-lean one; before, do it here."""
    try:
        from trl.trainer.utils import selective_log_softmax as trl_version
    except ImportError:
        import torch

        return torch.gather(logits.log_softmax(-1), dim=-1, index=index.unsqueeze(-1)).squeeze(-1)
    return trl_version(logits, index)


def maybe_extract_prompt(example: dict[str, Any]) -> dict[str, Any]:
    """TRL's maybe_extract_prompt from 0.12 on; before, the same rule here (0.11's fails on plain-string pairs)."""
    if version_of("trl")[:2] >= (0, 12):
        from trl.data_utils import maybe_extract_prompt as trl_version

        return trl_version(example)
    if "chosen" not in example or "rejected" not in example or "prompt" in example:
        return example
    return {**example, **extract_prompt(example["chosen"], example["rejected"])}


def extract_prompt(chosen: Any, rejected: Any) -> dict[str, Any]:
    """The shared prefix of an implicit-prompt pair as its prompt, as TRL's extract_prompt splits it.

    Element-wise (characters of a text, messages of a conversation), leaving a space before the
    answers to the answers.
    """
    idx = min(len(chosen), len(rejected))
    for i in range(idx):
        if chosen[i] != rejected[i]:
            idx = i - 1 if i > 0 and chosen[i - 1] == " " else i
            break
    return {"prompt": chosen[:idx], "chosen": chosen[idx:], "rejected": rejected[idx:]}
