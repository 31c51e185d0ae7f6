"""Throughput and MFU: the arithmetic, in one place (tested in tests/test_perf.py).

MFU here is model FLOPs utilisation: the FLOPs the training math needs for the real (non-padding)
tokens, over the GPU's dense bf16 peak. Padding and gradient-checkpointing recomputation are work
the GPU does but the model does not need, so they lower MFU; that is the point of measuring it.
This module imports nothing heavy: the counting functions take anything tensor-like.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

# Dense (no 2:4 sparsity) bf16 tensor-core peaks in TFLOP/s, from NVIDIA's datasheets and
# whitepapers. GeForce cards: bf16 with fp32 accumulate, the rate training uses. First match wins,
# so the more specific names come first.
PEAK_TFLOPS: list[tuple[str, float]] = [
    (r"\bH100\b.*\bPCIe\b", 756.0),
    (r"\bH100\b.*\bNVL\b", 835.0),
    (r"\bGH200\b", 989.0),
    (r"\bH200\b", 989.0),
    (r"\bH100\b", 989.0),  # SXM: "NVIDIA H100 80GB HBM3"
    (r"\bB200\b", 2250.0),
    (r"\bA100\b", 312.0),
    (r"\bL40S\b", 362.0),
    (r"\bL40\b", 181.0),
    (r"\bL4\b", 121.0),
    # The A10G (AWS's A10 variant) runs lower clocks than the A10; the least certain entry here:
    # TRELLIS_PEAK_TFLOPS overrides any of them.
    (r"\bA10G\b", 70.0),
    (r"\bA10\b", 125.0),
    (r"\bRTX A6000\b", 154.8),
    (r"\bRTX 6000 Ada\b", 364.2),
    (r"\bRTX 4090\b", 165.2),
    (r"\bRTX 3090\b", 71.0),
]
PEAK_ENV = "TRELLIS_PEAK_TFLOPS"


def peak_tflops(device_name: str | None, env: dict[str, str] | None = None) -> float | None:
    """The card's dense bf16 peak, or None for a CPU or a card not in the table."""
    override = (env if env is not None else os.environ).get(PEAK_ENV)
    if override:
        return float(override)
    if not device_name:
        return None
    for pattern, tflops in PEAK_TFLOPS:
        if re.search(pattern, device_name):
            return tflops
    return None


@dataclass(frozen=True)
class FlopsModel:
    """What the FLOPs per trained token depend on."""

    params: int  # parameters that take part in matmuls (the input embedding only when tied)
    trainable: int  # LoRA: the adapter's parameters; full fine-tuning: equal to params
    lora: bool
    reference_forward: bool  # DPO or KTO without precomputed reference log-probs
    kl_forwards: int = 0  # KTO: forward passes over the mismatched (KL) sequences, policy and reference


def flops_per_token(m: FlopsModel) -> float:
    """Training FLOPs per token: forward 2N, backward 4N (activation grads 2N + weight grads 2N).

    A frozen LoRA base still needs activation gradients (2N) but no weight gradients, so it costs
    4N, plus 6 per adapter parameter. DPO's reference model adds a forward pass, 2N, unless its
    log-probabilities were precomputed before training. KTO scores each example's prompt with
    another example's completion too (its KL estimate): a forward pass without gradients, 2N, by
    the policy and one by the reference, both over sequences as long as the batch's on average.
    """
    total = 4.0 * m.params + 6.0 * m.trainable if m.lora else 6.0 * m.params
    if m.reference_forward:
        total += 2.0 * m.params
    return total + 2.0 * m.params * m.kl_forwards


def kl_forwards(args: Any) -> int:
    """KTO's extra forward passes over the KL sequences: the policy's, and the reference's unless precomputed."""
    if type(args).__name__ != "KTOConfig" or getattr(args, "loss_type", "kto") == "apo_zero_unpaired":
        return 0
    return 1 if getattr(args, "precompute_ref_log_probs", False) else 2


def mfu(tokens_per_s: float, fpt: float, peak: float | None, world_size: int = 1) -> float | None:
    """Fraction of the peak (TFLOP/s per GPU) achieved; None when the peak is unknown."""
    if peak is None or peak <= 0 or world_size <= 0:
        return None
    return tokens_per_s * fpt / (peak * 1e12 * world_size)


@dataclass
class BatchCount:
    tokens: int  # real tokens
    padding: int  # padding positions computed alongside them
    samples: int  # examples (pairs for DPO and ORPO)


def _sum(t: Any) -> int:
    return int(t.sum())


def _rows_cols(t: Any) -> tuple[int, int]:
    shape = tuple(t.shape)
    return (shape[0], shape[1]) if len(shape) >= 2 else (1, shape[0])


def count_batch(inputs: dict[str, Any], paired_rows: bool = False, packed: bool = False) -> BatchCount | None:
    """Real tokens, padding and examples in one micro-batch as the trainer receives it.

    `packed`: the trainer packs the padded batch before the model sees it (padding_free.py), so
    no padding is computed: the padding counts 0 and every throughput figure is of real tokens.

    - TRL's ORPO (and the older DPO collator): chosen_*/rejected_* with the prompt included;
      the forward pass concatenates both, padded to the longer of the two.
    - DPO (TRL >= 1.x), SFT: `attention_mask` over every row; DPO's rows are chosen then
      rejected (`paired_rows`), two per pair.
    - Padding-free SFT: no attention mask, sequences packed in one row; starts are position 0.
    """
    counted = _count_batch(inputs, paired_rows)
    if counted is not None and packed:
        counted.padding = 0
    return counted


def _count_batch(inputs: dict[str, Any], paired_rows: bool) -> BatchCount | None:
    if "chosen_attention_mask" in inputs and "rejected_attention_mask" in inputs:
        c, r = inputs["chosen_attention_mask"], inputs["rejected_attention_mask"]
        rows, c_len = _rows_cols(c)
        _, r_len = _rows_cols(r)
        tokens = _sum(c) + _sum(r)
        return BatchCount(tokens, 2 * rows * max(c_len, r_len) - tokens, rows)
    if "attention_mask" in inputs:
        mask = inputs["attention_mask"]
        rows, cols = _rows_cols(mask)
        tokens = _sum(mask)
        return BatchCount(tokens, rows * cols - tokens, rows // 2 if paired_rows else rows)
    if "input_ids" in inputs:
        rows, cols = _rows_cols(inputs["input_ids"])
        positions = inputs.get("position_ids")
        samples = _sum(positions == 0) if positions is not None else rows
        return BatchCount(rows * cols, 0, samples)
    return None


@dataclass
class Window:
    """Counts since the last log line."""

    tokens: int = 0
    padding: int = 0
    samples: int = 0
    seconds: float = 0.0


def throughput(w: Window, world_size: int, fpt: float | None, peak: float | None) -> dict[str, Any] | None:
    """The `throughput` field of a metrics event; counts are from rank 0, scaled by world size."""
    if w.seconds <= 0 or w.tokens + w.padding <= 0:
        return None
    tps = w.tokens * world_size / w.seconds
    return {
        "tokens_per_s": tps,
        "padding_per_s": w.padding * world_size / w.seconds,
        "samples_per_s": w.samples * world_size / w.seconds,
        "padding_fraction": w.padding / (w.tokens + w.padding),
        "mfu": mfu(tps, fpt, peak, world_size) if fpt else None,
        "seconds": w.seconds,
    }
