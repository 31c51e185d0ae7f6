"""Padding-free preference training: every sequence of a batch in one row, no padding computed.

TRL's preference trainers (DPO, ORPO, CPO/SimPO, KTO) concatenate chosen and rejected answers into
one right-padded batch [N, L] and call the model on it (KTO: single answers, plus a batch of
mismatched prompt/answer pairs for its KL term, each a right-padded call of its own); on real
preference data most of it is padding (answers of very different lengths padded to the longest).
TRL 1.13's DPOTrainer has a `padding_free` option but turns it off ("temporarily unavailable
after a refactor"); ORPO, CPO and KTO have none.

What this does instead, around the model call and nothing else (so every loss TRL computes stays
TRL's own code):
- pack: the real tokens of the padded batch become one row [1, T] (T = real tokens), with
  `position_ids` restarting at 0 for each sequence and `cu_seq_lens_q/k` (the sequence offsets,
  transformers' varlen keywords), no attention mask;
- attend within each sequence only: flash-attention (GPU) does varlen from those offsets itself;
  for sdpa and eager (CPU) a registered attention function, `trellis_varlen`, runs causal sdpa
  per sequence (not one T x T masked attention, which would cost more than the padding it saves);
- unpack: the logits at the real tokens are put back in the padded layout [N, L, V] (zeros at the
  padding, which TRL masks out), so TRL's per-sequence log-prob sums, its loss and its metrics are
  computed by TRL as before; but for ORPO's and CPO's `logits/chosen|rejected`, a mean over every
  position, padding included, which now averages zeros there. The transformer (embeddings,
  attention, MLPs, lm_head) runs on real tokens only; the logits tensor keeps the padded shape.

The loss equals the padded computation within float tolerance (tests/test_padding_free.py: loss,
chosen/rejected log-probs and gradients; dpo, orpo, cpo, simpo, and kto with its KL forward). A
batch this cannot pack (left padding, holes in the mask, an encoder-decoder model, a cache) goes
through the model padded, as before.

Wiring another preference trainer is two lines in its rendered script (render/script.ts does it
for every trainer in PADDING_FREE_TRAINERS): import this module, and construct
`padding_free.trainer_class(CPOTrainer, enabled)(...)` instead of `CPOTrainer(...)`, with
`enabled = padding_free.take_switch(SPEC["args"], "cpo", emit)` before the config is parsed (it
removes `padding_free` from the args when TRL's config has no such field); plus its name in
TRAINERS below. Any trainer that calls `model(input_ids, attention_mask)` on a right-padded batch
inside compute_loss / prediction_step / compute_ref_log_probs works unchanged.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import itertools
from collections.abc import Iterator
from typing import Any

# The trainers whose batches trellis packs itself (the switch is args.padding_free, TRL's name).
TRAINERS = ("dpo", "orpo", "cpo", "simpo", "kto")
# The config classes with a `padding_free` field of their own in TRL 1.13: DPOConfig (disabled by
# its trainer, so trellis takes it) and SFTConfig (TRL's own padding-free path, used as it is).
TRL_FIELD = ("dpo", "sft")
ATTENTION = "trellis_varlen"
# Attention implementations packing works with: flash-attention attends per sequence from the
# offsets; sdpa and eager are swapped for `trellis_varlen` while the trainer trains.
FLASH = ("flash_attention_2", "flash_attention_3")
SWAPPABLE = ("sdpa", "eager")
# The methods inside which the trainers call the model on a training batch.
PACKED_METHODS = ("compute_loss", "prediction_step", "compute_ref_log_probs")

_packing: contextvars.ContextVar[bool] = contextvars.ContextVar("trellis_packing", default=False)
# Set from the pre-hook that packed a call to the forward hook that unpacks it: only then does
# `trellis_varlen` build no mask (any other call, even inside compute_loss, is masked as sdpa's).
_packed_call: contextvars.ContextVar[bool] = contextvars.ContextVar("trellis_packed_call", default=False)


def unsupported() -> str | None:
    """Why the installed transformers cannot run packed batches, or None when it can."""
    try:
        from transformers import AttentionInterface  # noqa: F401
        from transformers.masking_utils import AttentionMaskInterface, find_packed_sequence_indices  # noqa: F401
    except ImportError:
        return "needs transformers 5 (attention within packed sequences from position_ids)"
    return None


def take_switch(args: dict[str, Any], trainer: str, emit: Any = None) -> bool:
    """Whether this stage packs its batches; removes `padding_free` from `args` where trellis does it.

    On by default for the TRAINERS; `padding_free: false` in the stage's args turns it off. SFT
    keeps the arg: TRL's own padding-free path handles it.
    """
    if trainer not in TRAINERS:
        return False
    wanted = args.pop("padding_free", True)
    if trainer in TRL_FIELD:
        args["padding_free"] = False  # TRL's own would only warn and fall back to padding
    reason = unsupported()
    if args.get("use_liger_kernel") is True:  # Liger's fused loss runs the decoder itself, padded
        reason = "use_liger_kernel computes the loss on its own path"
    if wanted and reason is not None:
        if emit is not None:
            emit.notice("padding-free-off", f"padding-free batches are off: {reason}; training padded")
        return False
    return bool(wanted)


def trainer_class(base: type, enabled: bool = True) -> type:
    """`base` (a TRL trainer class) whose model calls on training batches run packed, when enabled."""
    if not enabled:
        return base

    class PaddingFree(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            _installed(self)

        def train(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().train(*args, **kwargs)
            finally:  # what is saved afterwards names the model's own attention implementation
                self._padding_free.restore()

    for name in PACKED_METHODS:
        if hasattr(base, name):
            setattr(PaddingFree, name, _packed(getattr(base, name)))
    PaddingFree.__name__ = PaddingFree.__qualname__ = f"PaddingFree{base.__name__}"
    return PaddingFree


def _installed(trainer: Any) -> Installed:
    """The trainer's packing, installed on first use: TRL's __init__ may already call the model
    (DPO's precompute_ref_log_probs runs its reference pass there, after wrapping the model)."""
    if getattr(trainer, "_padding_free", None) is None:
        trainer._padding_free = install(trainer.model, getattr(trainer, "ref_model", None))
        # Read by the callback's meter: no padding is computed (perf.count_batch).
        trainer.packs_batches = bool(trainer._padding_free.models)
    return trainer._padding_free


def _packed(method: Any) -> Any:
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        _installed(self).swap()  # again: evaluation or a callback may have restored it
        with packing():
            return method(self, *args, **kwargs)

    run.__name__ = method.__name__
    return run


@contextlib.contextmanager
def packing() -> Iterator[None]:
    """Model calls made inside this block by an installed model run packed."""
    token = _packing.set(True)
    try:
        yield
    finally:
        _packing.reset(token)
        _packed_call.set(False)  # a forward that raised between its two hooks


@dataclasses.dataclass
class Installed:
    """The models packing is installed on, and the attention implementation each had."""

    models: list[Any]
    original: list[str]

    def swap(self) -> None:
        for model, was in zip(self.models, self.original, strict=True):
            if was in SWAPPABLE:
                _set_attention(model, ATTENTION)

    def restore(self) -> None:
        for model, was in zip(self.models, self.original, strict=True):
            _set_attention(model, was)


# The attention implementation each packed model's config had before trellis_varlen took its place
# (by the config's id): the run's provenance reports the model's own kernel, not the packing shim.
_BEFORE: dict[int, str] = {}


def attention_before(config: Any) -> str | None:
    """The model's own attention implementation, when packing has swapped in trellis_varlen."""
    return _BEFORE.get(id(config))


def install(*models: Any) -> Installed:
    """Packs the training batches of `models` (the policy, and a separate reference model if any)."""
    _register()
    kept, original = [], []
    for model in models:
        if model is None:
            continue
        base = _base_model(model)
        config = getattr(base, "config", None)
        impl = getattr(config, "_attn_implementation", None)
        if config is None or getattr(config, "is_encoder_decoder", False) or impl not in SWAPPABLE + FLASH:
            continue  # stays padded: an attention implementation that cannot attend per sequence
        model.register_forward_pre_hook(_pack, with_kwargs=True)
        model.register_forward_hook(_unpack, with_kwargs=True)
        kept.append(model)
        original.append(impl)
        _BEFORE[id(config)] = impl
    installed = Installed(kept, original)
    installed.swap()
    return installed


def _base_model(model: Any) -> Any:
    """The transformers model under a peft wrapper."""
    get = getattr(model, "get_base_model", None)
    return get() if callable(get) else model


def _set_attention(model: Any, name: str) -> None:
    base = _base_model(model)
    if base.config._attn_implementation != name:
        base.set_attn_implementation(name)


def _pack(module: Any, args: tuple, kwargs: dict[str, Any]) -> tuple[tuple, dict[str, Any]] | None:
    """Forward pre-hook: a right-padded [N, L] batch becomes one row of its real tokens."""
    module._trellis_packed = None  # a forward that raised leaves nothing behind for this one
    if not _packing.get():
        return None
    kwargs = dict(kwargs)
    if args:  # ORPO passes input_ids positionally
        kwargs["input_ids"], args = args[0], args[1:]
    ids, mask = kwargs.get("input_ids"), kwargs.get("attention_mask")
    if args or ids is None or mask is None or ids.dim() != 2 or not _plain(kwargs):
        return None
    import torch

    mask = mask.bool()
    lengths = mask.sum(dim=1)
    positions = torch.arange(mask.shape[1], device=mask.device)
    if not torch.equal(mask, positions.unsqueeze(0) < lengths.unsqueeze(1)):
        return None  # left padding or holes: not a right-padded batch
    offsets = torch.nn.functional.pad(lengths.cumsum(0), (1, 0)).to(torch.int32)
    longest = int(lengths.max())
    kwargs.update(
        input_ids=ids[mask].unsqueeze(0),
        attention_mask=None,
        position_ids=positions.expand_as(mask)[mask].unsqueeze(0),
        cu_seq_lens_q=offsets,
        cu_seq_lens_k=offsets,
        max_length_q=longest,
        max_length_k=longest,
    )
    module._trellis_packed = (mask, _packed_call.set(True))  # for the forward hook
    return (), kwargs


def _plain(kwargs: dict[str, Any]) -> bool:
    """A training-style call: no cache, no positions or embeddings of the caller's own."""
    return all(kwargs.get(k) is None for k in ("position_ids", "past_key_values", "inputs_embeds", "labels")) and (
        kwargs.get("use_cache") is not True
    )


def _unpack(module: Any, args: tuple, kwargs: dict[str, Any], output: Any) -> Any:
    """Forward hook: the packed logits back in the padded layout TRL's loss code expects."""
    packed = getattr(module, "_trellis_packed", None)
    if packed is None:
        return None
    mask, token = packed
    module._trellis_packed = None
    _packed_call.reset(token)
    logits = output.logits
    padded = logits.new_zeros(*mask.shape, logits.shape[-1])
    padded[mask] = logits[0]
    output.logits = padded
    return output


def _register() -> None:
    """`trellis_varlen`: sdpa per packed sequence; a padded call gets sdpa's mask and kernel as usual."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    def mask(*args: Any, **kwargs: Any) -> Any:
        return None if _packed_call.get() else sdpa_mask(*args, **kwargs)

    AttentionInterface.register(ATTENTION, varlen_attention)
    AttentionMaskInterface.register(ATTENTION, mask)


def varlen_attention(
    module: Any,
    query: Any,
    key: Any,
    value: Any,
    attention_mask: Any,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[Any, None]:
    """Causal attention within each packed sequence (offsets in cu_seq_lens_q), one sdpa call each."""
    from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward

    offsets = kwargs.get("cu_seq_lens_q")
    if offsets is None or attention_mask is not None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout, scaling, **kwargs)
    import torch

    groups = getattr(module, "num_key_value_groups", 1)
    key, value = repeat_kv(key, groups), repeat_kv(value, groups)
    bounds = offsets.tolist()
    parts = [
        torch.nn.functional.scaled_dot_product_attention(
            query[:, :, start:end],
            key[:, :, start:end],
            value[:, :, start:end],
            dropout_p=dropout,
            scale=scaling,
            is_causal=True,
        )
        for start, end in itertools.pairwise(bounds)
        if end > start
    ]
    return torch.cat(parts, dim=2).transpose(1, 2).contiguous(), None
