"""Probe mode for the batch planner: a few real optimizer steps on the worst-case batch.

`trellis plan` runs a stage's rendered script with TRELLIS_PROBE set to a JSON object
({"steps": 3}); the script then trains for that many steps on its longest examples, with the
planned batch fields already in its args, and reports peak memory and tokens/s in a
`probe_result` event instead of saving anything. Without TRELLIS_PROBE every function here
leaves its input as it was.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

PROBE_ENV = "TRELLIS_PROBE"
TEXT_COLUMNS = ("prompt", "chosen", "rejected", "completion", "text", "messages")


def settings() -> dict[str, Any] | None:
    raw = os.environ.get(PROBE_ENV)
    return json.loads(raw) if raw else None


def apply(spec: dict[str, Any]) -> None:
    """In probe mode, change the stage spec in place: probe args, no preference evaluation."""
    if settings() is None:
        return
    spec["args"] = probe_args(spec["args"])
    spec["preference_eval"] = None


def probe_args(args: dict[str, Any]) -> dict[str, Any]:
    """Train `steps` optimizer steps, log each, evaluate and save nothing."""
    s = settings()
    if s is None:
        return args
    return {
        **args,
        "max_steps": int(s.get("steps", 3)),
        "logging_steps": 1,
        "save_strategy": "no",
        "eval_strategy": "no",
        "report_to": "none",
    }


def _length(row: dict[str, Any]) -> int:
    return sum(
        len(json.dumps(row[c])) if not isinstance(row[c], str) else len(row[c])
        for c in TEXT_COLUMNS
        if c in row and row[c] is not None
    )


def worst_case(data: Any, args: dict[str, Any]) -> Any:
    """The training rows replaced by the longest ones (by characters), repeated to fill the steps."""
    s = settings()
    if s is None:
        return data
    train = data.train
    needed = int(args.get("per_device_train_batch_size", 8)) * int(args.get("gradient_accumulation_steps", 1))
    needed *= int(s.get("steps", 3)) * int(s.get("world_size", 1))
    lengths = [_length(train[i]) for i in range(len(train))]
    longest = sorted(range(len(train)), key=lambda i: -lengths[i])[: max(1, needed)]
    picked = [longest[i % len(longest)] for i in range(needed)]
    return dataclasses.replace(data, train=train.select(picked), eval=None, eval_pairs=None)


def report(emit: Any, callback: Any) -> bool:
    """Emit probe_result (peak memory, capacity, tokens/s after the first step); True in probe mode."""
    if settings() is None:
        return False
    import torch

    cuda = torch.cuda.is_available()
    totals = callback.meter.totals
    emit.emit(
        "probe_result",
        peak_bytes=torch.cuda.max_memory_reserved() if cuda else None,
        capacity_bytes=torch.cuda.get_device_properties(0).total_memory if cuda else None,
        tokens_per_s=totals.tokens * callback.meter.world_size / totals.seconds if totals.seconds > 0 else None,
        steps=totals.steps,
    )
    return True
