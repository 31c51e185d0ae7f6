"""The shapes preference data comes in, told apart from every row, and one normal form for all.

Public preference sets differ in how they hold the prompt: a separate string, a list of chat
messages, the first turns of each answer, or the shared beginning of two texts. TRL handles some
of these and fails on others (a `prompt` string beside message-list answers reaches DPO's
tokenizer as lists), and `trl.data_utils.is_conversational` decides from one key, so its answer
can differ between processes. Here the shape is decided once, from every row and every column,
and every pair becomes an explicit prompt with its two answers: chat messages (the prompt's
turns, then assistant-only answers) or plain text. Every trainer then gets the same pairs.

The shape names are shared with the TypeScript check (src/core/data/shape.ts), which describes
them to the user; an agreement test runs both on the fixtures in recipes/data/shapes/.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .trainers import ROLES, SCORE_COLUMNS

# Preference shapes; their descriptions live with the check (src/core/data/shape.ts).
SHAPES = ("conversational", "prompt-in-answers", "implicit-messages", "hh-text", "implicit-text", "text")
# Data an SFT stage trains on directly, without pairs.
SFT_SHAPES = ("sft-text", "sft-messages", "sft-prompt-completion")
# KTO's single answers marked desirable or not (prompt, completion, label).
UNPAIRED_SHAPES = ("unpaired-text", "unpaired-messages")
CONVERSATIONAL_INPUT = ("conversational", "prompt-in-answers", "implicit-messages", "unpaired-messages")
HH_TURN = re.compile(r"\n\n(Human|Assistant):")
HH_ASSISTANT = "\n\nAssistant:"
DEFAULT_SEPARATOR = " "


class ShapeError(ValueError):
    """A row that does not fit the data set's shape, or fits none; `row` is 0-based."""

    def __init__(self, row: int, column: str | None, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass(frozen=True)
class Options:
    """The recipe's data settings that change how pairs are built."""

    to_messages: bool = False
    system_prompt: str | None = None
    separator: str = DEFAULT_SEPARATOR
    min_score_margin: float | None = None

    @classmethod
    def of(cls, data: dict[str, Any]) -> Options:
        separator = data.get("separator")
        return cls(
            to_messages=bool(data.get("to_messages")),
            system_prompt=data.get("system_prompt"),
            separator=DEFAULT_SEPARATOR if separator is None else separator,
            min_score_margin=data.get("min_score_margin"),
        )


def kind(value: Any) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, list) and all(isinstance(m, dict) for m in value):
        return "messages"
    return "other"


def row_shape(row: dict[str, Any]) -> str:
    """The shape of one preference row (standard column names), or ValueError saying why none."""
    chosen, rejected = kind(row.get("chosen")), kind(row.get("rejected"))
    if chosen != rejected:
        raise ValueError(f"chosen is {chosen} and rejected is {rejected}; both must be text or both chat messages")
    if chosen == "other":
        raise ValueError("chosen and rejected must be text or lists of chat messages ({role, content})")
    if "prompt" not in row:
        if chosen == "messages":
            return "implicit-messages"
        return "hh-text" if is_hh(row["chosen"]) and is_hh(row["rejected"]) else "implicit-text"
    prompt = kind(row["prompt"])
    if chosen == "text":
        if prompt != "text":
            raise ValueError("the prompt is chat messages but the answers are text; make both one kind")
        return "text"
    if prompt == "other":
        raise ValueError("the prompt must be text or a list of chat messages")
    turns = row["prompt"] if prompt == "messages" else [{"role": "user", "content": row["prompt"]}]
    if repeats_prompt(turns, row["chosen"]):
        return "prompt-in-answers"
    return "conversational"


def is_hh(text: str) -> bool:
    stripped = text.lstrip("\n")
    return stripped.startswith("Human:") and HH_ASSISTANT in text


def repeats_prompt(turns: list[dict[str, Any]], answer: list[dict[str, Any]]) -> bool:
    """True when the answer starts with the prompt's user turns (system turns aside)."""
    asked = [m.get("content") for m in turns if m.get("role") == "user"]
    said = [m.get("content") for m in answer[: len(turns) + 1] if m.get("role") == "user"]
    return bool(asked) and said[: len(asked)] == asked


def detect(rows: Iterable[dict[str, Any]], sft_only: bool = False, unpaired: bool = False) -> str:
    """The shape every row shares; ShapeError naming the first row that differs or fits none."""
    shape: str | None = None
    for index, row in enumerate(rows):
        try:
            this = unpaired_row_shape(row) if unpaired else sft_row_shape(row) if sft_only else row_shape(row)
        except ValueError as exc:
            raise ShapeError(index, None, str(exc)) from None
        if shape is None:
            shape = this
        elif this != shape:
            raise ShapeError(index, None, f"this row is {this} where the first row is {shape}; one shape per data set")
    if shape is None:
        raise ShapeError(0, None, "the data set has no rows")
    return shape


def unpaired_row_shape(row: dict[str, Any]) -> str:
    """KTO's unpaired rows: text, or chat messages (a text prompt then counts as one user turn)."""
    prompt, completion = kind(row.get("prompt")), kind(row.get("completion"))
    if prompt == "other" or completion == "other":
        raise ValueError("prompt and completion must be text or lists of chat messages ({role, content})")
    if completion == "text":
        if prompt != "text":
            raise ValueError("the prompt is chat messages but the completion is text; make both one kind")
        return "unpaired-text"
    return "unpaired-messages"


def sft_row_shape(row: dict[str, Any]) -> str:
    if "messages" in row:
        return "sft-messages"
    if "completion" in row:
        return "sft-prompt-completion"
    return "sft-text"


def is_conversational(shape: str, options: Options) -> bool:
    """Whether the normalised pairs are chat messages (the tokenizer's chat template applies)."""
    if shape in CONVERSATIONAL_INPUT or shape == "sft-messages":
        return True
    return options.to_messages and shape in ("hh-text", "text", "implicit-text", "unpaired-text")


def normalise(row: dict[str, Any], shape: str, options: Options) -> dict[str, Any]:
    """One row as an explicit prompt and two answers; scores, when present, pass through."""
    if shape in SFT_SHAPES:
        return row
    if shape in UNPAIRED_SHAPES:
        # One answer normalised as a pair of two identical answers would be: the same prompt rules.
        pair = normalise(
            {"prompt": row["prompt"], "chosen": row["completion"], "rejected": row["completion"]},
            "conversational" if shape == "unpaired-messages" else "text",
            options,
        )
        return {"prompt": pair["prompt"], "completion": pair["chosen"], "label": row["label"]}
    scores = {k: row[k] for k in SCORE_COLUMNS if k in row}
    if shape in ("conversational", "prompt-in-answers", "implicit-messages"):
        pair = split_messages(row, shape)
    elif shape == "hh-text":
        pair = split_hh(row, options.to_messages)
    elif shape == "implicit-text":
        pair = split_text(row["chosen"], row["rejected"])
    else:
        pair = {"prompt": row["prompt"], "chosen": row["chosen"], "rejected": row["rejected"]}
    if isinstance(pair["prompt"], str):
        pair = wrap(pair) if options.to_messages else join(pair, options.separator)
    if options.system_prompt and pair["prompt"] and pair["prompt"][0].get("role") != "system":
        pair["prompt"] = [{"role": "system", "content": options.system_prompt}, *pair["prompt"]]
    return {**pair, **scores}


def split_messages(row: dict[str, Any], shape: str) -> dict[str, Any]:
    chosen, rejected = clean(row["chosen"]), clean(row["rejected"])
    if shape == "conversational":
        prompt = row["prompt"]
        turns = clean(prompt) if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
        return {"prompt": turns, "chosen": chosen, "rejected": rejected}
    # The prompt is the turns both answers share, backed off until both answers start with the
    # assistant (a shared assistant turn then belongs to both answers).
    n = 0
    while n < min(len(chosen), len(rejected)) and chosen[n] == rejected[n]:
        n += 1
    while n > 0 and not (n < len(chosen) and n < len(rejected) and replies(chosen[n], rejected[n])):
        n -= 1
    if n == 0:
        raise ValueError("the chosen and rejected conversations share no prompt turns followed by assistant replies")
    return {"prompt": chosen[:n], "chosen": chosen[n:], "rejected": rejected[n:]}


def replies(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.get("role") == "assistant" and b.get("role") == "assistant"


def clean(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages with just role and content: other keys (ids, names) vary and confuse templates."""
    return [{"role": m.get("role"), "content": m.get("content")} for m in messages]


def split_hh(row: dict[str, Any], to_messages: bool) -> dict[str, Any]:
    chosen, rejected = row["chosen"], row["rejected"]
    cut = chosen.rfind(HH_ASSISTANT) + len(HH_ASSISTANT)
    prompt = chosen[:cut]
    if not rejected.startswith(prompt):
        raise ValueError("chosen and rejected do not share the dialogue before the last 'Assistant:' turn")
    if not to_messages:
        return {"prompt": prompt, "chosen": chosen[cut:], "rejected": rejected[cut:]}
    turns = hh_turns(prompt)
    answer = lambda text: [{"role": "assistant", "content": text.strip()}]  # noqa: E731
    return {"prompt": turns[:-1], "chosen": answer(chosen[cut:]), "rejected": answer(rejected[cut:])}


def hh_turns(text: str) -> list[dict[str, str]]:
    """'\\n\\nHuman: a\\n\\nAssistant: b' -> user/assistant messages (the last one may be empty)."""
    parts = HH_TURN.split("\n\n" + text.lstrip("\n"))
    turns = []
    for speaker, content in zip(parts[1::2], parts[2::2], strict=True):
        turns.append({"role": "user" if speaker == "Human" else "assistant", "content": content.strip()})
    return turns


def split_text(chosen: str, rejected: str) -> dict[str, str]:
    n = 0
    while n < min(len(chosen), len(rejected)) and chosen[n] == rejected[n]:
        n += 1
    # Back to a word boundary, so the prompt never ends inside a word ("The lemon is ye|llow").
    while n > 0 and not chosen[n - 1].isspace() and n < len(chosen) and not chosen[n].isspace():
        n -= 1
    while n > 0 and chosen[n - 1].isspace():
        n -= 1
    if n == 0:
        raise ValueError("chosen and rejected share no beginning to use as the prompt")
    return {"prompt": chosen[:n], "chosen": chosen[n:], "rejected": rejected[n:]}


def wrap(pair: dict[str, str]) -> dict[str, Any]:
    user = [{"role": "user", "content": pair["prompt"].strip()}]
    answer = lambda text: [{"role": "assistant", "content": text.strip()}]  # noqa: E731
    return {"prompt": user, "chosen": answer(pair["chosen"]), "rejected": answer(pair["rejected"])}


def join(pair: dict[str, str], separator: str) -> dict[str, str]:
    """Add the separator to the prompt where the texts would otherwise run together."""
    prompt, chosen, rejected = pair["prompt"], pair["chosen"], pair["rejected"]
    answers_spaced = all(a[:1].isspace() for a in (chosen, rejected))
    if prompt and not prompt[-1:].isspace() and not answers_spaced:
        prompt += separator
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


def check_messages(value: Any, column: str) -> str | None:
    """A problem with one message list (roles, content), or None."""
    if not value:
        return f"column '{column}': an empty list of messages"
    for i, message in enumerate(value):
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            return f"column '{column}', message {i + 1}: role {role!r}; expected one of {', '.join(ROLES)}"
        if not isinstance(content, str):
            return f"column '{column}', message {i + 1}: content must be text"
    return None
