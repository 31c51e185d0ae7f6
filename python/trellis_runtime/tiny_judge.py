"""A tiny judge model for tests and demos: random weights whose greedy next token is always a verdict.

A random tiny model's next token is almost never "A", "B" or "tie", so an OpenAI-compatible
server running it (which reads the verdict from the generated text) would answer nothing
readable, while the local judge (which reads the three choices' probabilities) always answers.
This model's output layer is zero except at the three choices: "A" scores h.r, "B" -h.r and
"tie" h.s for the last hidden state h and fixed random r, s, so the best of all tokens is
always a verdict, and which one depends on the question and the answers. Served both ways, the
two judge paths must then give the same verdicts: that is what the tests check.

    python -m trellis_runtime.tiny_judge [--cache-dir DIR]    # prints the model's folder
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from .judge import CHOICES, DEFAULT_TEMPLATE_FILE
from .tiny import build, default_cache_dir

VERSION = 1
# The questions and answers of the probe prompts the output layer is fitted on (see rig).
PROBE_WORDS = (
    "What color is the sky grass sea coffee crow cloud? Tell me the colour of a fruit. The apple is "
    "red green blue white black brown yellow pink. Yes no maybe it is not one two three four, "
    "because so and or but the a an of to in on. Name count say write answer question warm cold 1 2 3 ."
)
# Enough words for a byte-level BPE to learn the prompt's words and "tie" as one token.
CORPUS = [DEFAULT_TEMPLATE_FILE.read_text(), *(["tie", "A", "B"] * 50)]


def ensure_tiny_judge(cache_dir: str | None = None) -> str:
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    target = root / f"tiny-judge-v{VERSION}"
    if target.is_dir():
        return str(target)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=root))
    try:
        corpus = tmp / "corpus.jsonl"
        corpus.write_text("".join(json.dumps({"text": t}) + "\n" for t in CORPUS))
        model_dir = tmp / "model"
        build(
            {
                "architecture": "llama",
                "hidden_size": 64,
                "num_layers": 2,
                "num_heads": 4,
                "vocab_size": 400,
                "data_files": [str(corpus)],
                "seed": 0,
            },
            model_dir,
        )
        rig(model_dir)
        os.chmod(model_dir, 0o755)
        try:
            os.replace(model_dir, target)
        except OSError:
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return str(target)


def rig(model_dir: Path) -> None:
    """Untie the output layer and keep only the three choices' rows (see the module's doc).

    The last hidden state of a random model barely moves with the prompt: r is the direction it
    moves most along over probe prompts (taken orthogonal to its mean), so "A" and "B" split
    about evenly; s points along the mean, scaled so that "tie" wins on about a fifth of them.
    """
    import random

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from .generate import encode_prompt
    from .judge import render

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    ids = [tokenizer(c, add_special_tokens=False)["input_ids"] for c in CHOICES]
    if any(len(i) != 1 for i in ids):
        raise RuntimeError(f"the tiny judge's tokenizer splits a choice: {dict(zip(CHOICES, ids, strict=True))}")
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    template = DEFAULT_TEMPLATE_FILE.read_text()
    words = PROBE_WORDS.split()
    draw = random.Random(0)
    states = []
    with torch.no_grad():
        for _ in range(128):
            q, a, b = (" ".join(draw.choices(words, k=draw.randint(1, 12))) for _ in range(3))
            prompt = [{"role": "user", "content": render(template, q, a, b)}]
            x = torch.tensor([encode_prompt(prompt, tokenizer)])
            states.append(model.model(input_ids=x).last_hidden_state[0, -1])
    h = torch.stack(states)
    mean = h.mean(0)
    unit = mean / mean.norm()
    # Away from the mean and from the directions it moves most along (the prompt's length, mostly),
    # so that the verdict turns on the words rather than on how long the prompt is.
    top = torch.linalg.svd(h - mean, full_matrices=False).Vh[:3]
    r = torch.randn(h.shape[1], generator=torch.Generator().manual_seed(1))
    for v in [unit, *top]:
        r = r - (r @ v) * v / (v @ v)
    r = r / float((h @ r).std()) * 4
    s = unit * float((h @ r).abs().quantile(0.2)) / float((h @ unit).mean())
    hidden = model.config.hidden_size
    weight = torch.zeros(model.config.vocab_size, hidden)
    weight[ids[0][0]] = r
    weight[ids[1][0]] = -r
    weight[ids[2][0]] = s
    model.config.tie_word_embeddings = False
    model.lm_head = torch.nn.Linear(hidden, model.config.vocab_size, bias=False)
    model.lm_head.weight = torch.nn.Parameter(weight)
    model.save_pretrained(model_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description="Build (or find) the tiny judge model and print its folder.")
    parser.add_argument("--cache-dir", default=None)
    print(ensure_tiny_judge(parser.parse_args().cache_dir))


if __name__ == "__main__":
    main()
