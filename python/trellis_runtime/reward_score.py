"""Scores answers with a reward model: any AutoModelForSequenceClassification with one output.

    python -m trellis_runtime.reward_score --input request.json   (or the request on stdin)

The request names the reward model (a local folder, a Hub name with an optional revision, or
`{"tiny": {...}}` for a tiny model built here) and sets of prompt/answer pairs, one set per model
whose answers are scored (the starting model's and each arm's, on the same prompts). The answer,
on stdout, is one JSON object: the reward of every pair, set by set, and what was loaded (the
folder, the Hub commit, the weights' sha256) so that the manifest can pin it. A failure is one
JSON object {"error": "..."} on stdout and exit status 1: the caller shows it as it is.

Each pair goes through the reward model's chat template (one user turn, one assistant turn) where
its tokenizer has one, else as prompt + answer: the text a reward model trained by TRL's
RewardTrainer saw. Scored in batches, padded on the side the tokenizer says, without gradients.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

DEFAULT_BATCH_SIZE = 8
DEFAULT_MAX_LENGTH = 1024


class RewardError(Exception):
    """A failure the user can act on, said in one message."""


def load_reward_model(spec: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """The model, its tokenizer, and what was loaded: {"source", "revision", "sha256"}."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from .models import HubUnavailableError, model_source

    if spec.get("tiny") is not None:
        from .tiny import ensure_tiny_model

        name = ensure_tiny_model({**spec["tiny"], "head": "reward"})
    elif spec.get("name"):
        name = spec["name"]
    else:
        raise RewardError("the reward model spec names neither a model (name) nor a tiny model (tiny)")
    try:
        source = model_source(name, spec)
    except HubUnavailableError as err:
        raise RewardError(f"reward model {name}: {err}") from err
    revision = spec.get("revision") if not os.path.isdir(name) else None
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForSequenceClassification.from_pretrained(source)
    except (OSError, ValueError) as err:
        raise RewardError(f"reward model {name} does not load as a sequence-classification model: {err}") from err
    if model.config.num_labels != 1:
        raise RewardError(
            f"reward model {name} has {model.config.num_labels} outputs; a reward model has one "
            "(AutoModelForSequenceClassification with num_labels=1, as TRL's RewardTrainer saves)"
        )
    if tokenizer.pad_token is None:
        # Batches need padding; the last-token lookup needs the model to know the pad id too.
        tokenizer.pad_token = tokenizer.eos_token
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    model.eval()
    loaded = {
        "name": name if spec.get("tiny") is None else "tiny",
        "source": str(source),
        "revision": getattr(model.config, "_commit_hash", None) or revision,
        "sha256": weights_sha256(Path(source)) if os.path.isdir(source) else None,
    }
    return model, tokenizer, loaded


def weights_sha256(folder: Path) -> str:
    """One sha256 over the folder's weight files (name and bytes, in name order): what the scores came from."""
    digest = hashlib.sha256()
    files = sorted(p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin") and p.is_file())
    for f in files:
        digest.update(f.name.encode("utf-8") + b"\0")
        with f.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def pair_text(tokenizer: Any, prompt: str, answer: str) -> str:
    """The text the reward model reads for one answer: its chat template's rendering, or prompt + answer."""
    if getattr(tokenizer, "chat_template", None):
        messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
        return tokenizer.apply_chat_template(messages, tokenize=False)
    return prompt + answer


def score_pairs(
    model: Any, tokenizer: Any, pairs: list[dict[str, str]], batch_size: int, max_length: int
) -> list[float]:
    """One reward per pair, in order."""
    import torch

    texts = [pair_text(tokenizer, p["prompt"], p["answer"]) for p in pairs]
    device = next(model.parameters()).device
    rewards: list[float] = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                texts[start : start + batch_size],
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=max_length,
                add_special_tokens=not getattr(tokenizer, "chat_template", None),
            ).to(device)
            logits = model(**batch).logits
            rewards.extend(float(v) for v in logits[:, 0].float().cpu())
    return rewards


def score(request: dict[str, Any]) -> dict[str, Any]:
    sets = request.get("sets")
    if not isinstance(sets, dict) or not sets:
        raise RewardError("the request has no answer sets to score (sets: {name: [{prompt, answer}]})")
    for name, pairs in sets.items():
        if not isinstance(pairs, list) or not all(
            isinstance(p, dict) and isinstance(p.get("prompt"), str) and isinstance(p.get("answer"), str) for p in pairs
        ):
            raise RewardError(f"answer set {name!r}: each item needs a string prompt and a string answer")
    model, tokenizer, loaded = load_reward_model(request.get("model") or {})
    batch_size = int(request.get("batch_size") or DEFAULT_BATCH_SIZE)
    max_length = int(request.get("max_length") or DEFAULT_MAX_LENGTH)
    return {
        "model": loaded,
        "chat_template": bool(getattr(tokenizer, "chat_template", None)),
        "rewards": {name: score_pairs(model, tokenizer, pairs, batch_size, max_length) for name, pairs in sets.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Score prompt/answer pairs with a reward model (JSON in, JSON out).")
    parser.add_argument("--input", default=None, help="the request as a JSON file (default: stdin)")
    opts = parser.parse_args()
    try:
        text = Path(opts.input).read_text(encoding="utf-8") if opts.input else sys.stdin.read()
        request = json.loads(text)
        result = score(request)
    except (RewardError, json.JSONDecodeError) as err:
        print(json.dumps({"error": str(err)}))
        sys.exit(1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
