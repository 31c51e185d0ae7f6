"""What a stage really ran with, for the run manifest: model revision, data fingerprint, plan."""

from __future__ import annotations

from typing import Any

from trellis_runtime import padding_free


def describe(spec: dict[str, Any], model: Any, data: Any, args: Any) -> dict[str, Any]:
    """The `provenance` event's fields (trellis hashes local files itself)."""
    config = getattr(model, "config", None)
    sources = [("train", spec["data"]["train"]), ("eval", spec["data"].get("eval"))]
    return {
        "model": {
            "name": spec["model"].get("name") or "tiny",
            "from_dir": spec.get("from_dir"),
            # transformers records the Hub commit a model was loaded from; None for local folders.
            "revision": getattr(config, "_commit_hash", None),
            # What was really loaded: bitsandbytes 4/8-bit weights, and the attention kernel in use.
            "quantized": _quantized(model),
            # (padding-free batches run it per sequence through trellis_varlen: padding_free.py).
            "attn_implementation": padding_free.attention_before(config)
            or getattr(config, "_attn_implementation", None),
        },
        "datasets": [
            {
                "role": role,
                "hub": source["hub"],
                "split": source.get("split"),
                "config": source.get("config"),
                "revision": source.get("revision"),
                "fingerprint": getattr(data.train if role == "train" else data.eval, "_fingerprint", None),
            }
            for role, source in sources
            if source and "hub" in source
        ],
        "plan": {
            "per_device_train_batch_size": args.per_device_train_batch_size,
            "gradient_accumulation_steps": args.gradient_accumulation_steps,
            "world_size": args.world_size,
            "effective_batch_size": args.per_device_train_batch_size
            * args.gradient_accumulation_steps
            * args.world_size,
            "device": str(args.device),
            "bf16": bool(args.bf16),
            "fp16": bool(args.fp16),
            "gradient_checkpointing": bool(args.gradient_checkpointing),
            "seed": args.seed,
            "full_determinism": bool(getattr(args, "full_determinism", False)),
        },
    }


def _quantized(model: Any) -> str | None:
    """bitsandbytes' storage of the loaded weights: "4bit", "8bit", or None for plain weights."""
    if getattr(model, "is_loaded_in_4bit", False):
        return "4bit"
    return "8bit" if getattr(model, "is_loaded_in_8bit", False) else None
