"""Pairwise judges: which of two answers to a question is better, A (shown first), B, or a tie.

Two kinds behind one interface (`judge(question, answer_a, answer_b) -> Judgement`):

- `LocalJudge`: any causal LM (a folder or a Hub name) run here; the verdict is read from its
  next-token probabilities of "A", "B" and "tie" after the judge prompt (the most probable of
  the three), so it never fails to answer and its confidence is kept.
- `OpenAIJudge`: any OpenAI-compatible endpoint (vLLM, llama.cpp's server, `transformers serve`,
  a hosted API); greedy (temperature 0), the verdict read from the reply's first word. The API
  key comes from an environment variable the user names and goes nowhere else: not into a log,
  an event, an error message or the manifest.

The judge prompt is a text file with {question}, {answer_a} and {answer_b} in it; the default is
judge_prompt.txt beside this file.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

DEFAULT_TEMPLATE_FILE = Path(__file__).with_name("judge_prompt.txt")
PLACEHOLDERS = ("{question}", "{answer_a}", "{answer_b}")
CHOICES = ("A", "B", "tie")
# `--judge tiny-judge`: the random tiny judge (tiny_judge.py), for tests and demos only.
TINY_JUDGE = "tiny-judge"


class JudgeError(Exception):
    """A judge that cannot be used (endpoint refused or unreachable, a bad template): one actionable line."""


@dataclass
class Judgement:
    """A, B or tie; None when the reply could not be read. `probabilities` from a local judge only."""

    verdict: str | None
    reply: str = ""
    probabilities: dict[str, float] = field(default_factory=dict)


class Judge(Protocol):
    def judge(self, question: str, answer_a: str, answer_b: str) -> Judgement: ...

    def describe(self) -> dict[str, Any]: ...


def check_template(template: str, source: str = "the judge prompt") -> str:
    missing = [p for p in PLACEHOLDERS if p not in template]
    if missing:
        raise JudgeError(f"{source} lacks {', '.join(missing)}: a judge prompt names the question and both answers")
    return template


def render(template: str, question: str, answer_a: str, answer_b: str) -> str:
    """The template filled in; plain replacement, so braces in an answer are left alone."""
    # One pass over the template: an answer containing "{answer_b}" is not filled in again.
    out, rest = [], template
    values = {"{question}": question, "{answer_a}": answer_a, "{answer_b}": answer_b}
    while rest:
        hits = [(rest.find(p), p) for p in PLACEHOLDERS if rest.find(p) >= 0]
        if not hits:
            out.append(rest)
            break
        at, name = min(hits)
        out.append(rest[:at])
        out.append(values[name])
        rest = rest[at + len(name) :]
    return "".join(out)


def read_verdict(reply: str) -> str | None:
    """A, B or tie from a reply's first word ("A", "b.", "Tie", "tie: both..."), else None."""
    word = reply.strip().split(maxsplit=1)[0] if reply.strip() else ""
    word = word.strip(".,:;!\"'()*").lower()
    return {"a": "A", "b": "B", "tie": "tie"}.get(word)


class LocalJudge:
    """A causal LM here; the verdict is the most probable of the three choices' first tokens."""

    def __init__(self, model: str, template: str) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.name = model
        self.template = template
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.model = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32)
        self.model.eval()
        self.choice_ids = {}
        for choice in CHOICES:
            ids = self.tokenizer(choice, add_special_tokens=False)["input_ids"]
            if not ids:
                raise JudgeError(f"the judge model {model}'s tokenizer encodes '{choice}' as nothing")
            self.choice_ids[choice] = ids[0]
        if len(set(self.choice_ids.values())) < len(CHOICES):
            raise JudgeError(
                f"the judge model {model}'s tokenizer starts 'A', 'B' and 'tie' with the same token: "
                "it cannot tell the verdicts apart; use another judge model"
            )

    def describe(self) -> dict[str, Any]:
        return {"kind": "local", "model": self.name}

    def judge(self, question: str, answer_a: str, answer_b: str) -> Judgement:
        import torch

        from .generate import encode_prompt

        text = render(self.template, question, answer_a, answer_b)
        # As generate.py feeds prompts: the chat template where the tokenizer has one.
        prompt: Any = [{"role": "user", "content": text}] if getattr(self.tokenizer, "chat_template", None) else text
        ids = torch.tensor([encode_prompt(prompt, self.tokenizer)])
        with torch.no_grad():
            logits = self.model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0, -1].float()
        probs = torch.softmax(logits, dim=-1)
        p = {c: float(probs[i]) for c, i in self.choice_ids.items()}
        # Ties between equal probabilities go to the earlier choice: A, then B, then tie.
        verdict = max(CHOICES, key=lambda c: (p[c], -CHOICES.index(c)))
        return Judgement(verdict=verdict, reply=verdict, probabilities=p)


class OpenAIJudge:
    """An OpenAI-compatible chat endpoint, greedy, with timeouts and retries with backoff."""

    def __init__(
        self,
        base_url: str,
        model: str,
        template: str,
        api_key_env: str | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        max_tokens: int = 1,
        backoff: float = 1.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.template = template
        self.api_key_env = api_key_env
        self.timeout = timeout
        self.retries = retries
        self.max_tokens = max_tokens
        self.backoff = backoff
        self._key: str | None = None
        if api_key_env:
            self._key = os.environ.get(api_key_env)
            if not self._key:
                raise JudgeError(
                    f"the judge's API key variable {api_key_env} is not set: "
                    "export it (its value stays out of every log)"
                )

    def describe(self) -> dict[str, Any]:
        return {"kind": "openai", "model": self.model, "base_url": self.base_url, "api_key_env": self.api_key_env}

    def check(self) -> None:
        """Reach the endpoint before any answer is generated: a judge that is down is told in seconds.

        Any HTTP answer to GET /models counts as reachable (some servers answer it with 404 or 500,
        yet judge fine), except a refused key, which no retry mends.
        """
        try:
            self._request("/models", None, retry_http=False)
        except JudgeError as err:
            if "refused the request" in str(err) and not ("HTTP 401" in str(err) or "HTTP 403" in str(err)):
                return
            raise

    def judge(self, question: str, answer_a: str, answer_b: str) -> Judgement:
        text = render(self.template, question, answer_a, answer_b)
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": text}],
            "max_tokens": self.max_tokens,
            "temperature": 0,
        }
        reply = self._request("/chat/completions", body)
        try:
            content = reply["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise JudgeError(
                f"the judge endpoint {self.base_url} answered without choices[0].message.content: "
                "is it an OpenAI-compatible /v1 endpoint?"
            ) from None
        return Judgement(verdict=read_verdict(content), reply=content[:200])

    def _request(self, route: str, body: dict[str, Any] | None, retry_http: bool = True) -> Any:
        """POST `body` (GET when None) with retries on timeouts, refused connections, 429 and 5xx."""
        url = self.base_url + route
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        data = None if body is None else json.dumps(body).encode()
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(url, data=data, headers=headers, method="GET" if data is None else "POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read().decode())
            except urllib.error.HTTPError as err:
                detail = err.read().decode(errors="replace")[:200].replace("\n", " ")
                if retry_http and (err.code in (408, 409, 429) or err.code >= 500):
                    last = f"HTTP {err.code} {detail}"
                    continue
                hint = (
                    f"check the key in {self.api_key_env}"
                    if err.code in (401, 403) and self.api_key_env
                    else "set --judge-key-env to the variable holding the key"
                    if err.code in (401, 403)
                    else f"check the model name '{self.model}' and that the URL ends in /v1"
                )
                raise JudgeError(
                    f"the judge endpoint {url} refused the request (HTTP {err.code}: {detail}): {hint}"
                ) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError, json.JSONDecodeError) as err:
                last = str(getattr(err, "reason", err))
        raise JudgeError(
            f"cannot get a verdict from the judge endpoint {url} after {self.retries + 1} tries ({last}): "
            "is the server running and is --judge-url its /v1 address?"
        )


def make_judge(config: dict[str, Any]) -> Judge:
    """A judge from its config: {kind: local, model} or {kind: openai, base_url, model, api_key_env, ...}."""
    template = check_template(config.get("template") or DEFAULT_TEMPLATE_FILE.read_text())
    if config["kind"] == "local":
        model = config["model"]
        if model == TINY_JUDGE:
            from .tiny_judge import ensure_tiny_judge

            model = ensure_tiny_judge()
        return LocalJudge(model, template)
    if config["kind"] == "openai":
        return OpenAIJudge(
            config["base_url"],
            config["model"],
            template,
            api_key_env=config.get("api_key_env"),
            timeout=float(config.get("timeout", 60)),
            retries=int(config.get("retries", 3)),
            max_tokens=int(config.get("max_tokens", 1)),
        )
    raise JudgeError(f"unknown judge kind {config['kind']!r} (local or openai)")
