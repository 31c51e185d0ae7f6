"""Write the quickstart pairs in each shape public preference sets come in.

The same colour pairs as recipes/data/colors-*.jsonl, rewritten the way real data sets hold them,
so that every shape trellis reads is trained on for real in the tests:

- prompt-in-answers: a `prompt` string, and answers as message lists repeating the user turn
  (HuggingFaceH4/ultrafeedback_binarized);
- conversational: the prompt as messages with a system turn, answers assistant-only (TRL's form);
- implicit-messages: whole conversations as messages, no prompt column;
- hh-text: whole dialogues as `\\n\\nHuman: ... \\n\\nAssistant: ...` strings (Anthropic/hh-rlhf);
- text: plain strings with nothing between prompt and answer (trellis adds the separator);
- scores: plain strings with `score_chosen`/`score_rejected`; a fifth of the train pairs are
  flipped and scored as near ties, so a score margin drops exactly the noisy pairs.

    python python/tools/make_shape_data.py      # writes recipes/data/shapes/*.jsonl

The output is a pure function of the colour data and this file.
"""

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "recipes" / "data"
OUT = SOURCE / "shapes"
SYSTEM = "Answer with the colour."
# Every FLIP_EVERY-th train pair of the scores set is wrong and scored as a near tie.
FLIP_EVERY = 5


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text.strip()}


def prompt_in_answers(r: dict[str, str], i: int, split: str) -> dict[str, Any]:
    p = r["prompt"]
    return {"prompt": p, "chosen": [user(p), assistant(r["chosen"])], "rejected": [user(p), assistant(r["rejected"])]}


def conversational(r: dict[str, str], i: int, split: str) -> dict[str, Any]:
    prompt = [{"role": "system", "content": SYSTEM}, user(r["prompt"])]
    return {"prompt": prompt, "chosen": [assistant(r["chosen"])], "rejected": [assistant(r["rejected"])]}


def implicit_messages(r: dict[str, str], i: int, split: str) -> dict[str, Any]:
    p = user(r["prompt"])
    return {"chosen": [p, assistant(r["chosen"])], "rejected": [p, assistant(r["rejected"])]}


def hh_text(r: dict[str, str], i: int, split: str) -> dict[str, Any]:
    turn = f"\n\nHuman: {r['prompt']}\n\nAssistant:"
    return {"chosen": turn + r["chosen"], "rejected": turn + r["rejected"]}


def text(r: dict[str, str], i: int, split: str) -> dict[str, Any]:
    return {"prompt": r["prompt"], "chosen": r["chosen"].strip(), "rejected": r["rejected"].strip()}


def scores(r: dict[str, str], i: int, split: str) -> dict[str, Any]:
    row: dict[str, Any] = text(r, i, split)
    if split == "train" and i % FLIP_EVERY == 0:
        return {**row, "chosen": row["rejected"], "rejected": row["chosen"], "score_chosen": 5.0, "score_rejected": 4.5}
    return {**row, "score_chosen": 9.0, "score_rejected": 2.0}


SHAPES = {
    "prompt-in-answers": prompt_in_answers,
    "conversational": conversational,
    "implicit-messages": implicit_messages,
    "hh-text": hh_text,
    "text": text,
    "scores": scores,
}


def read(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (SOURCE / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def build() -> dict[str, list[dict[str, Any]]]:
    """{file name: rows} for every shape's train and eval file."""
    out = {}
    for split in ("train", "eval"):
        rows = read(f"colors-{split}.jsonl")
        for shape, convert in SHAPES.items():
            out[f"{shape}-{split}.jsonl"] = [convert(r, i, split) for i, r in enumerate(rows)]
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rows in build().items():
        (OUT / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


if __name__ == "__main__":
    main()
