"""Held-out preference accuracy: how often the model prefers the chosen answer.

One number that means the same for SFT, DPO and ORPO, before and after training: for each pair,
the mean per-token log-probability of the chosen completion given the prompt against that of the
rejected one. Means, not sums, so that a shorter answer does not win for being short.

The same forward pass gives the rest of the scoring `trellis compare` puts side by side: the
accuracy on summed log-probabilities (what DPO's implicit reward compares), the mean margin, and
the NLL of the chosen answers per token (how likely the model finds the answers it should give).
"""

from __future__ import annotations

from typing import Any

# Tokens per forward pass (sequences x padded length). Bounds the logits tensor, the largest
# one here: 8192 tokens x a 150k vocabulary in bf16 is ~2.5 GB.
TOKEN_BUDGET = 8192
# Longer sequences are cut at the end, as the trainers' default truncation does.
MAX_LENGTH = 1024

Encoded = tuple[list[int], int]  # token ids of prompt + completion, and where the completion starts


def preference_accuracy(
    model: Any, tokenizer: Any, dataset: Any, max_pairs: int = 200, max_length: int = MAX_LENGTH
) -> dict[str, Any]:
    """{accuracy, pairs, ...}: the fraction of pairs whose chosen answer scores higher (ties: half).

    Also `accuracy_sum` (the same on summed log-probabilities), `margin` and `margin_sum` (the mean
    over pairs of chosen minus rejected, per token and summed) and `chosen_nll` (nats per token of
    the chosen answers, over all their tokens).
    """
    import torch

    pairs = [encode_pair(dataset[i], tokenizer, max_length) for i in range(min(max_pairs, len(dataset)))]
    pairs = [p for p in pairs if p is not None]
    if not pairs:
        empty = dict.fromkeys(("accuracy", "accuracy_sum", "margin", "margin_sum", "chosen_nll"))
        return {**empty, "pairs": 0}

    # Each pair is two sequences; score them all, then compare per pair.
    sequences = [seq for pair in pairs for seq in pair]
    sums: list[tuple[float, int]] = [(0.0, 1)] * len(sequences)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for batch in batches(sequences):
                scored = logp_sums(model, [sequences[i] for i in batch], tokenizer)
                for index, score in zip(batch, scored, strict=True):
                    sums[index] = score
    finally:
        model.train(was_training)

    n = len(pairs)
    means = [total / count for total, count in sums]
    chosen_tokens = sum(sums[2 * k][1] for k in range(n))
    return {
        "accuracy": wins(means, n) / n,
        "pairs": n,
        "accuracy_sum": wins([total for total, _ in sums], n) / n,
        "margin": sum(means[2 * k] - means[2 * k + 1] for k in range(n)) / n,
        "margin_sum": sum(sums[2 * k][0] - sums[2 * k + 1][0] for k in range(n)) / n,
        "chosen_nll": -sum(sums[2 * k][0] for k in range(n)) / chosen_tokens,
    }


def wins(scores: list[float], n: int) -> float:
    """Pairs whose chosen score (even index) beats the rejected one (odd index); ties count half."""
    won = 0.0
    for k in range(n):
        chosen, rejected = scores[2 * k], scores[2 * k + 1]
        won += 1.0 if chosen > rejected else 0.5 if chosen == rejected else 0.0
    return won


def encode_pair(example: dict[str, Any], tokenizer: Any, max_length: int) -> tuple[Encoded, Encoded] | None:
    """Token ids of prompt + chosen and prompt + rejected, as the trainers build them."""
    from trl.data_utils import is_conversational, maybe_apply_chat_template, maybe_extract_prompt

    conversational = is_conversational(example)
    example = maybe_extract_prompt(dict(example))
    text = maybe_apply_chat_template(example, tokenizer)
    # A rendered chat template already holds its special tokens (BOS included); plain text gets
    # the tokenizer's own, as DPO's tokenization does.
    add_special = not conversational
    prompt_ids = tokenizer(text["prompt"], add_special_tokens=add_special)["input_ids"]
    out = []
    for key in ("chosen", "rejected"):
        completion = text[key]
        if not conversational and tokenizer.eos_token and not completion.endswith(tokenizer.eos_token):
            completion += tokenizer.eos_token  # the trainers train on EOS: score it too
        ids = tokenizer(text["prompt"] + completion, add_special_tokens=add_special)["input_ids"][:max_length]
        start = common_prefix(prompt_ids, ids)
        if start >= len(ids):  # nothing of the completion left to score
            return None
        out.append((ids, max(start, 1)))  # the first token has no prediction to score
    return out[0], out[1]


def common_prefix(a: list[int], b: list[int]) -> int:
    """Where the completion starts, even if a merge crosses the prompt's last token."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def batches(sequences: list[Encoded]) -> list[list[int]]:
    """Indices grouped by length so that each forward pass stays within TOKEN_BUDGET."""
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i][0]))
    groups: list[list[int]] = []
    current: list[int] = []
    for i in order:
        longest = len(sequences[i][0])  # sorted: the newest is the longest so far
        if current and (len(current) + 1) * longest > TOKEN_BUDGET:
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    return groups


def mean_logps(model: Any, sequences: list[Encoded], tokenizer: Any) -> list[float]:
    """Mean log-probability of each sequence's completion tokens, in one padded forward pass."""
    return [total / count for total, count in logp_sums(model, sequences, tokenizer)]


def logp_sums(model: Any, sequences: list[Encoded], tokenizer: Any) -> list[tuple[float, int]]:
    """(summed log-probability, token count) of each sequence's completion, in one forward pass."""
    import torch
    from trl.trainer.utils import selective_log_softmax

    device = next(model.parameters()).device
    width = max(len(ids) for ids, _ in sequences)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    input_ids = torch.full((len(sequences), width), pad, dtype=torch.long)
    attention = torch.zeros((len(sequences), width), dtype=torch.long)
    scored = torch.zeros((len(sequences), width - 1), dtype=torch.bool)
    for row, (ids, start) in enumerate(sequences):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        attention[row, : len(ids)] = 1
        # Position t's logits predict token t + 1: completion tokens start..end-1 are scored.
        scored[row, start - 1 : len(ids) - 1] = True
    input_ids, attention, scored = input_ids.to(device), attention.to(device), scored.to(device)

    logits = model(input_ids=input_ids, attention_mask=attention, use_cache=False).logits[:, :-1]
    logps = selective_log_softmax(logits, input_ids[:, 1:]).float()
    totals = (logps * scored).sum(-1).tolist()
    counts = scored.sum(-1).tolist()
    return list(zip(totals, counts, strict=True))
