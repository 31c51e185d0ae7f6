"""Write the bundled quickstart data: which colour is each thing.

A fixed thing -> colour mapping asked with a few question templates. Each pair's chosen answer
names the right colour and the rejected one the same sentence with another colour, so a tiny
model that learns the mapping prefers chosen, and an untrained one scores about 0.5. The eval
file holds (thing, template) combinations that never appear in the train file, while every
thing still appears in train, so held-out accuracy measures the mapping, not memorised lines.

    python python/tools/make_colors_data.py            # writes recipes/data/colors-*.jsonl

The output is a pure function of this file: rerunning it must not change the committed data.
"""

import argparse
import json
import random
from pathlib import Path

# Three things per colour; every name reads naturally after "the".
COLOURS: dict[str, tuple[str, str, str]] = {
    "red": ("tomato", "strawberry", "cherry"),
    "orange": ("carrot", "pumpkin", "tangerine"),
    "yellow": ("lemon", "banana", "sunflower"),
    "green": ("grass", "lime", "cucumber"),
    "blue": ("sky", "ocean", "blueberry"),
    "purple": ("grape", "eggplant", "lavender"),
    "pink": ("flamingo", "bubblegum", "piglet"),
    "brown": ("chocolate", "coffee", "acorn"),
    "black": ("coal", "crow", "ink"),
    "white": ("snow", "milk", "cloud"),
}
TEMPLATES = (
    "What color is the {thing}?",
    "Which color is the {thing}?",
    "Tell me the color of the {thing}.",
    "What colour does the {thing} have?",
)
TRAIN_PAIRS = 320
EVAL_PAIRS = 80
SEED = 20240601  # any fixed value; changing it changes the committed files

REPO_ROOT = Path(__file__).resolve().parents[2]


def build(seed: int = SEED) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Return (train, eval) rows with columns prompt, chosen, rejected."""
    rng = random.Random(seed)
    colour_of = {thing: colour for colour, things in COLOURS.items() for thing in things}
    things = sorted(colour_of)

    # Hold out one template per thing: 30 eval combinations, 90 train ones, and each thing
    # keeps three templates in train.
    held_out = {thing: rng.randrange(len(TEMPLATES)) for thing in things}

    def pairs(wanted_held_out: bool) -> list[dict[str, str]]:
        rows = []
        for thing in things:
            for t_index, template in enumerate(TEMPLATES):
                if (t_index == held_out[thing]) != wanted_held_out:
                    continue
                right = colour_of[thing]
                for wrong in sorted(COLOURS):
                    if wrong == right:
                        continue
                    rows.append(
                        {
                            "prompt": template.format(thing=thing),
                            # The leading space keeps prompt + answer a readable sentence.
                            "chosen": f" The {thing} is {right}.",
                            "rejected": f" The {thing} is {wrong}.",
                        }
                    )
        return rows

    train_all, eval_all = pairs(False), pairs(True)
    train = rng.sample(train_all, TRAIN_PAIRS)
    eval_ = rng.sample(eval_all, EVAL_PAIRS)
    return train, eval_


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "recipes" / "data")
    opts = parser.parse_args()
    train, eval_ = build()
    write_jsonl(opts.out / "colors-train.jsonl", train)
    write_jsonl(opts.out / "colors-eval.jsonl", eval_)
    print(f"wrote {len(train)} train and {len(eval_)} eval pairs to {opts.out}")


if __name__ == "__main__":
    main()
