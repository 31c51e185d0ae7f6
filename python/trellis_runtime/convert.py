"""Rows laid out for another tool, converted to the standard columns as they are read.

The recipe's `data.convert` declares the layout; the user's file stays as it is. LLaMA-Factory's
sharegpt ({from, value} turns; one answer message each for chosen and rejected) and alpaca
(instruction, input, optional system and history; chosen and rejected as text, or the response
column holding both) become {prompt, chosen, rejected} chat messages, or SFT rows ({messages};
{prompt, completion}). The TypeScript check converts the same way (src/core/data/convert.ts),
and both are tested on the same cases.
"""

from __future__ import annotations

import json
from typing import Any

SHAREGPT_TAGS = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
    "observation_tag": "observation",
    "function_tag": "function_call",
    "system_tag": "system",
}


class ConvertError(ValueError):
    """A row that does not fit the declared layout; `column` is the source column."""

    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column = column


def columns_of(spec: dict[str, Any]) -> dict[str, Any]:
    """The source column of each part, LLaMA-Factory's defaults filled in."""
    cols = spec.get("columns") or {}
    if spec["from"] == "sharegpt":
        return {
            "messages": cols.get("messages") or "conversations",
            "system": cols.get("system"),
            "chosen": cols.get("chosen"),
            "rejected": cols.get("rejected"),
        }
    return {
        "prompt": cols.get("prompt") or "instruction",
        "query": cols.get("query") or "input",
        "response": cols.get("response") or "output",
        "history": cols.get("history"),
        "system": cols.get("system"),
        "chosen": cols.get("chosen"),
        "rejected": cols.get("rejected"),
    }


def convert_row(row: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """One source row in the standard columns; ConvertError naming the column when it does not fit."""
    return sharegpt(row, spec) if spec["from"] == "sharegpt" else alpaca(row, spec)


def describe(value: Any) -> str:
    """A value as the TypeScript check describes it (the messages are compared on shared cases)."""
    if value is None:
        return "no value"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    kind = "boolean" if isinstance(value, bool) else "number" if isinstance(value, int | float) else "string"
    return f"{kind} {json.dumps(value, ensure_ascii=False)[:40]}"


def sharegpt(row: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    cols = columns_of(spec)
    tags = {**SHAREGPT_TAGS, **{k: v for k, v in (spec.get("tags") or {}).items() if v is not None}}
    roles = {
        tags["user_tag"]: "user",
        tags["assistant_tag"]: "assistant",
        tags["system_tag"]: "system",
        tags["observation_tag"]: "tool",
        tags["function_tag"]: "assistant",
    }
    role_key, content_key = tags["role_tag"], tags["content_tag"]

    def message(m: Any, column: str, where: str) -> dict[str, str]:
        if not isinstance(m, dict):
            raise ConvertError(column, f"{where}: expected a message {{{role_key}, {content_key}}}")
        said = m.get(role_key)
        role = roles.get(said) if isinstance(said, str) else None
        if role is None:
            shown = "missing" if said is None else json.dumps(said)
            expected = ", ".join(roles)
            raise ConvertError(column, f"{where}: {role_key} {shown}; expected one of {expected} (data.convert.tags)")
        content = m.get(content_key)
        if not isinstance(content, str):
            raise ConvertError(column, f"{where}: {content_key} must be text (got {describe(content)})")
        return {"role": role, "content": content}

    name = cols["messages"]
    turns = row.get(name)
    if not isinstance(turns, list) or not turns:
        raise ConvertError(
            name, f"column '{name}': expected a list of messages {{{role_key}, {content_key}}} (got {describe(turns)})"
        )
    messages = [message(m, name, f"message {i + 1}") for i, m in enumerate(turns)]
    system = system_turn(row, cols["system"])
    prompt = [system, *messages] if system and messages[0]["role"] != "system" else messages
    if not cols["chosen"]:
        return {"messages": prompt}
    if prompt[-1]["role"] == "assistant":
        raise ConvertError(
            name,
            f"column '{name}': ends with an assistant turn; chosen and rejected must reply to its last turn",
        )

    def answer(column: str) -> list[dict[str, str]]:
        value = row.get(column)
        if isinstance(value, str):
            return [{"role": "assistant", "content": value}]
        if isinstance(value, list) and value:
            return [message(m, column, f"column '{column}', message {i + 1}") for i, m in enumerate(value)]
        if isinstance(value, dict):
            return [message(value, column, f"column '{column}'")]
        raise ConvertError(
            column,
            f"column '{column}': expected an answer message {{{role_key}, {content_key}}} (got {describe(value)})",
        )

    return {"prompt": prompt, "chosen": answer(cols["chosen"]), "rejected": answer(cols["rejected"])}


def alpaca(row: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    cols = columns_of(spec)
    instruction = row.get(cols["prompt"])
    if not isinstance(instruction, str):
        raise ConvertError(
            cols["prompt"], f"column '{cols['prompt']}': expected the instruction as text (got {describe(instruction)})"
        )
    query = row.get(cols["query"])
    if query is not None and not isinstance(query, str):
        raise ConvertError(cols["query"], f"column '{cols['query']}': expected text (got {describe(query)})")
    prompt: list[dict[str, str]] = []
    system = system_turn(row, cols["system"])
    if system:
        prompt.append(system)
    if cols["history"]:
        history = row.get(cols["history"]) or []
        if not isinstance(history, list):
            raise ConvertError(
                cols["history"],
                f"column '{cols['history']}': expected [[question, answer], ...] (got {describe(history)})",
            )
        for i, turn in enumerate(history):
            if not (isinstance(turn, list) and len(turn) == 2 and all(isinstance(t, str) for t in turn)):
                raise ConvertError(
                    cols["history"],
                    f"column '{cols['history']}', item {i + 1}: expected [question, answer] as two texts",
                )
            prompt += [{"role": "user", "content": turn[0]}, {"role": "assistant", "content": turn[1]}]
    prompt.append({"role": "user", "content": f"{instruction}\n{query}" if query else instruction})

    def text(column: str, value: Any) -> list[dict[str, str]]:
        if not isinstance(value, str):
            raise ConvertError(column, f"column '{column}': expected the answer as text (got {describe(value)})")
        return [{"role": "assistant", "content": value}]

    if cols["chosen"] and cols["rejected"]:
        return {
            "prompt": prompt,
            "chosen": text(cols["chosen"], row.get(cols["chosen"])),
            "rejected": text(cols["rejected"], row.get(cols["rejected"])),
        }
    response = row.get(cols["response"])
    # LLaMA-Factory's older ranking layout: the response column holds [chosen, rejected].
    if isinstance(response, list) and len(response) == 2:
        return {
            "prompt": prompt,
            "chosen": text(cols["response"], response[0]),
            "rejected": text(cols["response"], response[1]),
        }
    return {"prompt": prompt, "completion": text(cols["response"], response)}


def system_turn(row: dict[str, Any], column: str | None) -> dict[str, str] | None:
    if not column:
        return None
    value = row.get(column)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConvertError(column, f"column '{column}': expected the system prompt as text (got {describe(value)})")
    return {"role": "system", "content": value}
