"""The helpers' fallbacks for older releases behave as the newer TRL functions they stand in for."""

from __future__ import annotations

import torch
from trl.data_utils import maybe_extract_prompt as trl_maybe_extract_prompt
from trl.trainer.utils import selective_log_softmax as trl_selective_log_softmax

from trellis_runtime import compat


def test_extract_prompt_splits_like_trl() -> None:
    pairs = [
        {
            "chosen": "What color is the lemon? The lemon is yellow.",
            "rejected": "What color is the lemon? The lemon is blue.",
        },
        {"chosen": "Q: hi A: yes", "rejected": "Q: hi B: no"},
        {
            "chosen": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yes"}],
            "rejected": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "no"}],
        },
    ]
    for pair in pairs:
        ours = {**pair, **compat.extract_prompt(pair["chosen"], pair["rejected"])}
        assert ours == trl_maybe_extract_prompt(dict(pair))


def test_selective_log_softmax_fallback_matches_trl() -> None:
    logits = torch.randn(2, 5, 11)
    index = torch.randint(0, 11, (2, 5))
    fallback = torch.gather(logits.log_softmax(-1), dim=-1, index=index.unsqueeze(-1)).squeeze(-1)
    assert torch.allclose(fallback, trl_selective_log_softmax(logits, index), atol=1e-5)
    assert torch.allclose(compat.selective_log_softmax(logits, index), fallback, atol=1e-5)


def test_dtype_keyword_follows_transformers(monkeypatch) -> None:
    monkeypatch.setattr(compat, "version_of", lambda name: (4, 46, 3))
    assert compat.dtype_keyword() == "torch_dtype"
    monkeypatch.setattr(compat, "version_of", lambda name: (4, 56, 0))
    assert compat.dtype_keyword() == "dtype"


def test_version_of_reads_installed_metadata() -> None:
    assert compat.version_of("trl")[0] >= 0
    assert compat.version_of("no-such-package-here") == (0, 0, 0)
