"""A tiny random-weight Llama with a tokenizer trained on the recipe's data.

It lets the quickstart, the tests and CI train for real on a CPU in seconds with no download.
The tokenizer deliberately has no pad token, as many real ones do not, so that trellis's own
pad-token handling is exercised on every tiny run.

    python -m trellis_runtime.tiny --spec '{"architecture": "llama", ..., "data_files": [...]}'
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .compat import version_of

# Bump when the builder changes what it writes, so that old cache entries are not reused.
BUILDER_VERSION = 1
# The libraries whose release decides what the folder holds and who can read it: transformers 5
# names its tokenizer class TokenizersBackend, which 4.x cannot load; tokenizers changed the
# format of tokenizer.json (merges as pairs in 0.20); torch draws the random weights. The cache is
# keyed by their major.minor, so an environment is only ever offered a model its own releases wrote.
WRITER_PACKAGES = ("transformers", "tokenizers", "torch")
# Written into each model's folder: which releases wrote it (for a person looking at the cache).
WRITER_FILE = "trellis-tiny.json"
EOS = "<|eos|>"
ROLE_TOKENS = ("<|system|>", "<|user|>", "<|assistant|>")
# Longer than any quickstart sequence; rotary embeddings make the exact value cheap.
MAX_POSITIONS = 1024
# `{% generation %}` marks assistant text, so SFT's assistant_only_loss works on the tiny model.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|assistant|>' }}{% generation %}{{ message['content'] + '<|eos|>' }}{% endgeneration %}"
    "{% else %}"
    "{{ '<|' + message['role'] + '|>' + message['content'] + '<|eos|>' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)
HEADS = ("causal-lm", "reward")
DEFAULT_SPEC: dict[str, Any] = {
    "architecture": "llama",
    "hidden_size": 64,
    "num_layers": 2,
    "num_heads": 4,
    "vocab_size": 320,
    "data_files": [],
    "seed": 0,
}


def default_cache_dir() -> Path:
    if os.environ.get("TRELLIS_CACHE_DIR"):
        return Path(os.environ["TRELLIS_CACHE_DIR"]) / "models"
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "trellis" / "models"
    return Path.home() / ".cache" / "trellis" / "models"


def writer_versions() -> dict[str, str]:
    """The major.minor of each WRITER_PACKAGES release installed here: {'transformers': '4.53', ...}."""
    return {name: "{}.{}".format(*version_of(name)[:2]) for name in WRITER_PACKAGES}


def cache_key(spec: dict[str, Any], writer: dict[str, str] | None = None) -> str:
    """sha256 of the spec, the data files' bytes and the writing releases (default: this environment's).

    New data means a new tokenizer; another transformers, tokenizers or torch means another folder.
    """
    digest = hashlib.sha256()
    header = {"builder": BUILDER_VERSION, "writer": writer or writer_versions(), **spec}
    digest.update(json.dumps(header, sort_keys=True).encode("utf-8"))
    for path in spec.get("data_files", []):
        digest.update(b"\0")
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def ensure_tiny_model(spec: dict[str, Any], cache_dir: str | None = None) -> str:
    """Return a folder holding the tiny model and tokenizer, building it on first use.

    `"head": "reward"` in the spec builds a sequence-classification model with one output (a
    reward model, as TRL's RewardTrainer makes) instead of a causal LM; without it the spec, and
    so the cache key of every existing causal LM, is unchanged.
    """
    full = {**DEFAULT_SPEC, **spec}
    if full["architecture"] != "llama":
        raise ValueError(f"tiny models support architecture 'llama' only, not {full['architecture']!r}")
    if full.get("head", "causal-lm") not in HEADS:
        raise ValueError(f"tiny models have head {' or '.join(HEADS)}, not {full['head']!r}")
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    target = root / cache_key(full)
    if target.is_dir():
        return str(target)
    root.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename it into place: the rename is atomic, so a folder at the
    # target is always complete, even when two processes build at once.
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=root))
    os.chmod(tmp, 0o755)  # mkdtemp's 0700 would keep a shared cache private to its builder
    try:
        build(full, tmp)
        try:
            os.replace(tmp, target)
        except OSError:
            if not target.is_dir():  # not the lost race with another builder
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return str(target)


def build(spec: dict[str, Any], out_dir: Path) -> None:
    """Write a tokenizer and a randomly initialised LlamaForCausalLM (or reward model) into out_dir."""
    import torch
    from transformers import GenerationConfig, LlamaForCausalLM

    if spec.get("head") == "reward":
        build_reward(spec, out_dir)
        return

    tokenizer = build_tokenizer(texts_of(spec["data_files"]), spec["vocab_size"])
    eos_id = tokenizer.convert_tokens_to_ids(EOS)
    config = _llama_config(spec, tokenizer, tie_word_embeddings=True, eos_token_id=eos_id, pad_token_id=None)
    # The build happens inside a stage on a cold cache only: seeding the global RNG here would
    # leave it in another state than a warm-cache run has, and LoRA's initial weights (drawn from
    # it later) would differ between the two. A forked RNG keeps the stage's own state untouched.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec["seed"])
        model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(eos_token_id=eos_id, bos_token_id=None, pad_token_id=None)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    stamp = {"builder": BUILDER_VERSION, "writer": writer_versions(), "spec": spec}
    (out_dir / WRITER_FILE).write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def build_reward(spec: dict[str, Any], out_dir: Path) -> None:
    """A one-output LlamaForSequenceClassification: a reward model for tests, random but fixed by the seed.

    Unlike the causal LM's, its tokenizer has a pad token (EOS): a sequence-classification model
    finds each row's last token by the pad id, and scoring goes in padded batches.
    """
    import torch
    from transformers import LlamaForSequenceClassification

    tokenizer = build_tokenizer(texts_of(spec["data_files"]), spec["vocab_size"])
    tokenizer.pad_token = EOS
    eos_id = tokenizer.convert_tokens_to_ids(EOS)
    config = _llama_config(spec, tokenizer, num_labels=1, eos_token_id=eos_id, pad_token_id=eos_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec["seed"])
        model = LlamaForSequenceClassification(config)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    stamp = {"builder": BUILDER_VERSION, "writer": writer_versions(), "spec": spec}
    (out_dir / WRITER_FILE).write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _llama_config(spec: dict[str, Any], tokenizer: Any, **head: Any) -> Any:
    """The tiny family's Llama shape from the spec; `head` adds what the causal LM or the reward model needs."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec["hidden_size"],
        intermediate_size=spec["hidden_size"] * 2,
        num_hidden_layers=spec["num_layers"],
        num_attention_heads=spec["num_heads"],
        num_key_value_heads=spec["num_heads"],
        max_position_embeddings=MAX_POSITIONS,
        bos_token_id=None,
        **head,
    )


def build_tokenizer(texts: Iterator[str], vocab_size: int) -> Any:
    """A byte-level BPE tokenizer: any text encodes, and the vocabulary fits the data."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS, *ROLE_TOKENS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(texts, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, eos_token=EOS)
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def texts_of(paths: list[str]) -> Iterator[str]:
    """Every string in the data files: plain fields and chat message contents alike."""
    for path in paths:
        for row in read_rows(Path(path)):
            yield from strings_in(row)


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


def read_rows(path: Path) -> Iterator[Any]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        yield from pq.read_table(path).to_pylist()
    elif suffix in (".csv", ".tsv"):
        with path.open(newline="", encoding="utf-8") as f:
            yield from csv.DictReader(f, delimiter="\t" if suffix == ".tsv" else ",")
    else:  # JSON lines, or one JSON document (an array of rows)
        text = path.read_text(encoding="utf-8")
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            yield from (json.loads(line) for line in text.splitlines() if line.strip())
        else:
            yield from document if isinstance(document, list) else [document]


def main() -> None:
    parser = argparse.ArgumentParser(description="Build (or find) a tiny model and print its folder.")
    parser.add_argument("--spec", required=True, help="the tiny spec as JSON")
    parser.add_argument("--cache-dir", default=None)
    opts = parser.parse_args()
    print(ensure_tiny_model(json.loads(opts.spec), opts.cache_dir))


if __name__ == "__main__":
    main()
