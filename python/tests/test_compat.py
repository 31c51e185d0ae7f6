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


def test_releases_name_every_cache_writer() -> None:
    found = compat.releases()
    assert set(found) == set(compat.CACHE_WRITERS)
    assert found["trl"] == ".".join(map(str, compat.version_of("trl")))


def test_the_normalised_data_fingerprint_follows_the_releases(monkeypatch, tmp_path) -> None:
    """Data datasets 5 normalised (and TRL's maps chained from it) is not offered to an older environment."""
    from datasets import Dataset

    from trellis_runtime import data, formats

    ds = Dataset.from_list([{"prompt": "Q", "chosen": " a", "rejected": " b"}])
    options = formats.Options()
    here = data.normalised_fingerprint(ds, "explicit", options)
    assert data.normalised_fingerprint(ds, "explicit", options) == here
    real = compat.version_of
    for package, release in (("datasets", (3, 6, 0)), ("transformers", (4, 53, 3)), ("trl", (0, 19, 1))):
        monkeypatch.setattr(compat, "version_of", lambda name, p=package, r=release: r if name == p else real(name))
        assert data.normalised_fingerprint(ds, "explicit", options) != here, package
    monkeypatch.setattr(compat, "version_of", real)
    assert data.normalised_fingerprint(ds, "explicit", options) == here
