"""Greedy generations for a fixed prompt list, before, during and after training.

Numbers alone do not tell a user what a model now answers: every stage with a `generations`
block in its spec answers the same prompts (from the recipe, or drawn from the eval pairs with
the recipe's seed) before training, every N optimizer steps, and at its end, as `generations`
events. Greedy decoding, so that two arms (or two steps) differ only because their weights do.
"""

from __future__ import annotations

import random
from typing import Any

from transformers import TrainerCallback

from .events import Emitter
from .formats import hh_turns, is_hh

# Generated answers travel in events and fill a dashboard panel: keep each one short.
MAX_ANSWER_CHARS = 400


def pick_prompts(config: dict[str, Any], eval_pairs: Any, seed: int) -> list[Any]:
    """The recipe's prompts, else `count` prompts of the eval pairs drawn with the seed.

    Eval pairs are normalised (data.py): each prompt is a string or a list of messages, whatever
    shape the file came in. The recipe's prompts are strings; on chat data they become one user
    turn each, so that they go through the chat template as the training prompts do.
    """
    chat = eval_pairs is not None and len(eval_pairs) > 0 and is_messages(first_prompt(eval_pairs))
    if config.get("prompts"):
        return [[{"role": "user", "content": p}] if chat else p for p in config["prompts"]]
    if eval_pairs is None or len(eval_pairs) == 0 or "prompt" not in eval_pairs.column_names:
        return []
    count = min(int(config.get("count", 4)), len(eval_pairs))
    # Its own Random: the draw depends on the seed alone, not on what else used the global RNG.
    rows = sorted(random.Random(seed).sample(range(len(eval_pairs)), count))
    return [eval_pairs[i]["prompt"] for i in rows]


def first_prompt(eval_pairs: Any) -> Any:
    return eval_pairs[0]["prompt"] if "prompt" in eval_pairs.column_names else None


def is_messages(prompt: Any) -> bool:
    return isinstance(prompt, list) and all(isinstance(m, dict) for m in prompt)


def prompt_text(prompt: Any) -> str:
    """What the dashboard and the report show for a prompt: its last user turn, or its text.

    Messages show their last user turn; a "\n\nHuman: ... \n\nAssistant:" dialogue its last
    Human turn; other text without the separator that ends it.
    """
    if isinstance(prompt, str):
        turns = [t["content"] for t in hh_turns(prompt) if t["role"] == "user"] if is_hh(prompt) else []
        return turns[-1] if turns else prompt.strip()
    turns = [str(m.get("content", "")) for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
    return turns[-1] if turns else str(prompt)


def token_ids(encoded: Any) -> list[int]:
    """The ids of one sequence, from whatever a tokenizer call returned.

    `apply_chat_template(tokenize=True)` returns a list of ids in transformers 4, a BatchEncoding
    (a UserDict, not a dict) in transformers 5, and a batch of one where the input was batched.
    """
    if hasattr(encoded, "keys") and "input_ids" in encoded:
        encoded = encoded["input_ids"]
    if hasattr(encoded, "tolist"):  # a tensor or an array
        encoded = encoded.tolist()
    ids = list(encoded)
    if len(ids) == 1 and isinstance(ids[0], (list, tuple)):
        ids = list(ids[0])
    if not all(isinstance(i, int) for i in ids):
        raise TypeError(f"expected token ids, got {type(encoded).__name__} holding {ids[:3]!r}")
    return ids


def encode_prompt(prompt: Any, tokenizer: Any) -> list[int]:
    """Token ids as the trainers see a prompt: the chat template for messages, plain text otherwise."""
    if isinstance(prompt, str):
        return token_ids(tokenizer(prompt)["input_ids"])
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(
            "generations: the prompts are chat messages but the tokenizer has no chat template; "
            "set model.chat_template in the recipe (a Jinja template) or use a model that has one"
        )
    return token_ids(tokenizer.apply_chat_template(list(prompt), add_generation_prompt=True, tokenize=True))


def generate(model: Any, tokenizer: Any, prompts: list[Any], max_new_tokens: int) -> list[str]:
    """One greedy answer per prompt (new tokens only, special tokens dropped)."""
    import torch

    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    answers = []
    try:
        with torch.no_grad():
            for prompt in prompts:  # one at a time: no padding side to get wrong, and prompts are few
                ids = torch.tensor([encode_prompt(prompt, tokenizer)], device=device)
                out = model.generate(
                    input_ids=ids,
                    attention_mask=torch.ones_like(ids),
                    max_new_tokens=max_new_tokens,
                    do_sample=False,
                    pad_token_id=tokenizer.pad_token_id
                    if tokenizer.pad_token_id is not None
                    else tokenizer.eos_token_id,
                )
                text = tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
                answers.append(text[:MAX_ANSWER_CHARS])
    finally:
        model.train(was_training)
    return answers


class Generations:
    """The stage's generation settings, and the events they produce."""

    def __init__(self, config: dict[str, Any] | None, prompts: list[Any], tokenizer: Any, emitter: Emitter) -> None:
        self.config = config or {}
        self.prompts = prompts
        self.tokenizer = tokenizer
        self.emitter = emitter

    @classmethod
    def from_spec(cls, spec: dict[str, Any], eval_pairs: Any, tokenizer: Any, emitter: Emitter) -> Generations:
        config = spec.get("generations")
        prompts = pick_prompts(config, eval_pairs, spec["seed"]) if config else []
        if config and not prompts:
            emitter.notice("no-generations", "generations: no prompts given and no eval pairs to draw them from")
        return cls(config, prompts, tokenizer, emitter)

    @property
    def enabled(self) -> bool:
        return bool(self.prompts)

    def run(self, model: Any, when: str, step: int) -> None:
        """Generate for every prompt and emit one `generations` event (`when`: before, step or after)."""
        if not self.enabled:
            return
        answers = generate(model, self.tokenizer, self.prompts, int(self.config.get("max_new_tokens", 24)))
        samples = [{"prompt": prompt_text(p), "answer": a} for p, a in zip(self.prompts, answers, strict=True)]
        self.emitter.emit("generations", when=when, step=step, samples=samples)

    def callbacks(self) -> list[Any]:
        every = int(self.config.get("every_steps") or 0)
        return [GenerationCallback(self, every)] if self.enabled and every > 0 else []


class GenerationCallback(TrainerCallback):
    """Generates every `every` optimizer steps; every rank generates, so sharded models work too."""

    def __init__(self, generations: Generations, every: int) -> None:
        self.generations = generations
        self.every = every

    def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        # The final step is left to the stage's "after" generations, taken from the saved model.
        if model is not None and state.global_step % self.every == 0 and state.global_step < state.max_steps:
            self.generations.run(model, "step", state.global_step)
