"""KTO's data: preference pairs unpaired, and the class-balance weights TRL recommends.

KTO trains on single answers marked desirable or not (prompt, completion, label). Pairs given to
a KTO stage become one desirable and one undesirable example each. TRL would unpair them itself,
but all desirable rows of a map batch first and then all undesirable ones: with KTO's sequential
sampler a micro-batch would then hold one label only, and its KL estimate (each row scored with its
neighbour's completion) would compare an answer with one to the same prompt. Here the rows
alternate, desirable answer of pair i beside the undesirable answer of pair i + n/2, so that every
micro-batch holds both labels and neighbours answer different prompts.

The weights: KTO's paper (Ethayarajh et al. 2024, Eq. 8) and TRL's docs advise
desirable_weight * n_desirable / (undesirable_weight * n_undesirable) in [1, 4/3]. When a recipe
sets neither weight and its data falls outside that range, one weight is raised so it lands inside.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .events import Emitter

if TYPE_CHECKING:
    from datasets import Dataset

# The range of desirable_weight * n_desirable / (undesirable_weight * n_undesirable) TRL recommends.
RATIO_LOW, RATIO_HIGH = 1.0, 4.0 / 3.0


def unpair(pairs: Dataset) -> Dataset:
    """Normalised pairs (prompt, chosen, rejected) -> prompt, completion, label; two rows per pair."""
    from datasets import Dataset

    n = len(pairs)
    shift = n // 2
    prompts, chosen, rejected = pairs["prompt"], pairs["chosen"], pairs["rejected"]
    rows: dict[str, list[Any]] = {"prompt": [], "completion": [], "label": []}
    for i in range(n):
        j = (i + shift) % n
        rows["prompt"] += [prompts[i], prompts[j]]
        rows["completion"] += [chosen[i], rejected[j]]
        rows["label"] += [True, False]
    return Dataset.from_dict(rows)


def counts(ds: Dataset) -> tuple[int, int]:
    """(desirable, undesirable) examples."""
    desirable = sum(1 for label in ds["label"] if label)
    return desirable, len(ds) - desirable


def recommended(desirable: int, undesirable: int, args: dict[str, Any]) -> dict[str, Any]:
    """The balance of `args`' weights on this data, and the weights to use when the recipe set neither.

    {ratio, in_range, desirable_weight, undesirable_weight, adjusted}: `adjusted` is True when a
    weight was changed (both unset and the ratio out of range). Fewer desirable examples raise
    desirable_weight; more of them raise undesirable_weight, as the paper does.
    """
    d_w = float(args.get("desirable_weight", 1.0))
    u_w = float(args.get("undesirable_weight", 1.0))
    ratio = d_w * desirable / (u_w * undesirable) if desirable and undesirable else None
    in_range = ratio is None or RATIO_LOW <= ratio <= RATIO_HIGH
    user_set = "desirable_weight" in args or "undesirable_weight" in args
    adjusted = not in_range and not user_set
    if adjusted:
        assert ratio is not None
        if ratio < RATIO_LOW:  # too few desirable examples: weigh each more (rounded up: ratio >= 1)
            d_w = math.ceil(100 * undesirable / desirable) / 100
        else:  # too many: weigh each undesirable one more (rounded down: ratio >= 1)
            u_w = math.floor(100 * desirable / undesirable) / 100
        ratio = d_w * desirable / (u_w * undesirable)
    return {
        "ratio": ratio,
        "in_range": RATIO_LOW <= ratio <= RATIO_HIGH if ratio is not None else True,
        "desirable_weight": d_w,
        "undesirable_weight": u_w,
        "adjusted": adjusted,
    }


def balanced_weights(train: Dataset, args: dict[str, Any], emit: Emitter) -> dict[str, Any]:
    """`args` with the class-balance weights set where the recipe left both unset; reported either way."""
    desirable, undesirable = counts(train)
    advice = recommended(desirable, undesirable, args)
    weights = f"desirable_weight {advice['desirable_weight']:g}, undesirable_weight {advice['undesirable_weight']:g}"
    counted = f"{desirable} desirable and {undesirable} undesirable examples"
    if not desirable or not undesirable:
        emit.notice(
            "kto-one-label",
            f"the kto stage has {counted}: KTO learns from both kinds; add examples with label {not undesirable}",
        )
        return args
    if advice["adjusted"]:
        emit.notice(
            "kto-weights",
            f"{counted}: set {weights} (ratio {advice['ratio']:.2f}, in TRL's recommended [1, 1.33]); "
            "set either weight in args to choose yourself",
        )
        return {
            **args,
            "desirable_weight": advice["desirable_weight"],
            "undesirable_weight": advice["undesirable_weight"],
        }
    if not advice["in_range"]:
        emit.notice(
            "kto-weights",
            f"{counted} with {weights}: the weighted ratio {advice['ratio']:.2f} is outside TRL's recommended "
            "[1, 1.33] (desirable_weight x desirable / (undesirable_weight x undesirable))",
        )
    else:
        emit.notice(
            "kto-weights", f"{counted}, {weights}: weighted ratio {advice['ratio']:.2f}, in TRL's recommended [1, 1.33]"
        )
    return args
