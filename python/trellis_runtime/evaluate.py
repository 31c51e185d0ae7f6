"""`trellis eval`'s Python half: answers, then verdicts; the arithmetic is TypeScript's (src/core/eval).

    python -m trellis_runtime.evaluate spec.json

spec.json: {"prompts": [...], "answers": {name: [answer, ...]} (given, e.g. from a run's
generations events), "models": {name: folder or Hub name} (answered here, greedy, with
generate.py's own code), "max_new_tokens": N, "pairs": [[x, y], ...], "judge": {...} (judge.py's
make_judge), "seed": S, "out": result.json}. Each pair is judged on every prompt in both
orders (x's answer shown first, then y's). Progress goes to stdout as JSON lines; the result to
`out`: the answers, every verdict (as "first", "second", "tie" or null), the judge and the versions.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .compat import version_of
from .judge import Judge, JudgeError, make_judge

POSITION = {"A": "first", "B": "second", "tie": "tie", None: None}
VERSIONS = ("torch", "transformers", "trl", "peft")


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def load_model(name: str) -> tuple[Any, Any]:
    """A model folder (full, or a LoRA adapter over its base) or a Hub name, and its tokenizer."""
    import os

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if os.path.isfile(os.path.join(name, "adapter_config.json")):
        from peft import AutoPeftModelForCausalLM

        model = AutoPeftModelForCausalLM.from_pretrained(name, dtype=torch.float32)
    else:
        model = AutoModelForCausalLM.from_pretrained(name, dtype=torch.float32)
    return model, AutoTokenizer.from_pretrained(name)


def answer(source: str | dict[str, Any], prompts: list[str], max_new_tokens: int) -> list[str]:
    """Greedy answers of a model: a folder or Hub name, or {"spec": a stage spec} (the run's start model)."""
    from .generate import generate

    chat_template = None
    if isinstance(source, dict):
        from .models import resolve_model_name

        with open(source["spec"]) as f:
            block = json.load(f)["model"]
        source, chat_template = resolve_model_name(block), block.get("chat_template")
    model, tokenizer = load_model(source)
    if chat_template:  # the recipe's model.chat_template, as the stage set it
        tokenizer.chat_template = chat_template
    # As pick_prompts does on chat data: a prompt is one user turn where the model has a chat template.
    chat = bool(getattr(tokenizer, "chat_template", None))
    shaped = [[{"role": "user", "content": p}] if chat else p for p in prompts]
    return generate(model, tokenizer, shaped, max_new_tokens)


def judge_pair(judge: Judge, prompts: list[str], xs: list[str], ys: list[str]) -> list[dict[str, Any]]:
    out = []
    for q, x, y in zip(prompts, xs, ys, strict=True):
        x_first = judge.judge(q, x, y)
        y_first = judge.judge(q, y, x)
        out.append(
            {
                "x_first": POSITION[x_first.verdict],
                "y_first": POSITION[y_first.verdict],
                "replies": [x_first.reply, y_first.reply],
                "probabilities": [x_first.probabilities, y_first.probabilities],
            }
        )
    return out


def evaluate(spec: dict[str, Any]) -> dict[str, Any]:
    import torch

    torch.manual_seed(int(spec.get("seed", 0)))
    prompts = [str(p) for p in spec["prompts"]]
    answers: dict[str, list[str]] = {k: list(v) for k, v in (spec.get("answers") or {}).items()}
    # An endpoint is reached first (cheap); a local judge is loaded after the answers, so that it
    # never shares the memory with a model being answered.
    judge: Judge | None = None
    if spec["judge"]["kind"] != "local":
        judge = make_judge(spec["judge"])
        check = getattr(judge, "check", None)
        if check:
            say(phase="check", judge=judge.describe().get("base_url"))
            check()
    for name, model in (spec.get("models") or {}).items():
        say(phase="answers", model=name)
        answers[name] = answer(model, prompts, int(spec.get("max_new_tokens", 64)))
    for name, given in answers.items():
        if len(given) != len(prompts):
            raise JudgeError(f"{name} has {len(given)} answers for {len(prompts)} prompts")
    judge = judge or make_judge(spec["judge"])
    pairs = []
    for x, y in spec.get("pairs", []):
        say(phase="judge", x=x, y=y)
        pairs.append({"x": x, "y": y, "prompts": judge_pair(judge, prompts, answers[x], answers[y])})
    return {
        "prompts": prompts,
        "answers": answers,
        "pairs": pairs,
        "judge": judge.describe(),
        "versions": {p: ".".join(map(str, version_of(p))) for p in VERSIONS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("spec")
    with open(parser.parse_args().spec) as f:
        spec = json.load(f)
    try:
        result = evaluate(spec)
    except JudgeError as err:
        # The one line trellis shows; no traceback for a fault that is the user's to fix.
        print(f"JudgeError: {err}", file=sys.stderr)
        sys.exit(3)
    with open(spec["out"], "w") as f:
        json.dump(result, f, indent=1)
    say(phase="done", out=spec["out"])


if __name__ == "__main__":
    main()
