"""The judges: prompt filling and reply reading, the endpoint's faults, and the acceptance check:
the same tiny judge model gives the same verdicts read locally (next-token probabilities) and
over a real OpenAI-compatible server on 127.0.0.1 (transformers serve), greedy."""

import http.server
import json
import threading

import pytest
from openai_server import serving_packages, start

from trellis_runtime.evaluate import evaluate
from trellis_runtime.judge import (
    DEFAULT_TEMPLATE_FILE,
    JudgeError,
    LocalJudge,
    OpenAIJudge,
    check_template,
    make_judge,
    read_verdict,
    render,
)
from trellis_runtime.tiny_judge import ensure_tiny_judge

QUESTIONS = [
    ("What color is the sky?", "The sky is blue.", "green"),
    ("What color is grass?", "green", "red red red"),
    ("Name a fruit", "apple", "The car is a fruit."),
    ("Is it warm?", "yes it is", "no"),
    ("Count to three", "one two three", "1 2"),
    ("Tell me the color of the coffee.", "The coffee is brown.", "coffee coffee is is is"),
    ("What color is the crow?", "The crow is black.", "black"),
    ("x", "y", "z"),
]


def test_render_fills_each_placeholder_once_and_leaves_braces_in_answers_alone():
    t = "Q {question} A {answer_a} B {answer_b}"
    assert render(t, "q?", "{answer_b} {x}", "b") == "Q q? A {answer_b} {x} B b"


def test_a_template_without_the_answers_is_refused_naming_what_it_lacks():
    with pytest.raises(JudgeError, match=r"lacks \{answer_b\}"):
        check_template("{question} {answer_a}", "judge.txt")
    check_template(DEFAULT_TEMPLATE_FILE.read_text())


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [("A", "A"), (" b.", "B"), ("Tie", "tie"), ("tie: both good", "tie"), ("Answer A", None), ("", None), ("AB", None)],
)
def test_read_verdict_takes_the_first_word(reply, verdict):
    assert read_verdict(reply) == verdict


class Refusing(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(401)
        self.end_headers()
        self.wfile.write(b'{"error": "bad key"}')

    def log_message(self, *args):
        pass


def test_a_refused_request_is_one_actionable_error_that_never_shows_the_key(monkeypatch):
    monkeypatch.setenv("JUDGE_KEY_FOR_TEST", "sk-very-secret")
    server = http.server.HTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        judge = OpenAIJudge(
            f"http://127.0.0.1:{server.server_port}/v1",
            "m",
            "{question}{answer_a}{answer_b}",
            api_key_env="JUDGE_KEY_FOR_TEST",
        )
        with pytest.raises(JudgeError) as err:
            judge.judge("q", "a", "b")
    finally:
        server.shutdown()
    assert "HTTP 401" in str(err.value) and "check the key in JUDGE_KEY_FOR_TEST" in str(err.value)
    assert "sk-very-secret" not in str(err.value)
    assert "sk-very-secret" not in json.dumps(judge.describe())


def test_an_unreachable_endpoint_is_retried_then_named():
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    judge = OpenAIJudge(f"http://127.0.0.1:{port}/v1", "m", "{question}{answer_a}{answer_b}", retries=2, backoff=0)
    with pytest.raises(JudgeError, match=r"after 3 tries .*is the server running"):
        judge.judge("q", "a", "b")


def test_a_missing_key_variable_is_named(monkeypatch):
    monkeypatch.delenv("NO_SUCH_JUDGE_KEY", raising=False)
    with pytest.raises(JudgeError, match="NO_SUCH_JUDGE_KEY is not set"):
        make_judge({"kind": "openai", "base_url": "http://x/v1", "model": "m", "api_key_env": "NO_SUCH_JUDGE_KEY"})


@pytest.fixture(scope="module")
def tiny_judge(tmp_path_factory) -> str:
    return ensure_tiny_judge(str(tmp_path_factory.mktemp("judge-cache")))


def test_the_local_judge_reads_its_verdict_from_the_three_choices(tiny_judge):
    judge = LocalJudge(tiny_judge, DEFAULT_TEMPLATE_FILE.read_text())
    verdicts = [judge.judge(q, a, b) for q, a, b in QUESTIONS]
    for v in verdicts:
        assert v.verdict == max(v.probabilities, key=v.probabilities.get)
    # The tiny judge is random but not constant: the test below compares something.
    assert len({v.verdict for v in verdicts}) >= 2


@pytest.fixture(scope="module")
def server(tiny_judge, tmp_path_factory):
    packages = serving_packages()
    if packages is None:
        pytest.skip("transformers serve's packages (fastapi, uvicorn, openai) could not be installed: offline?")
    process, url = start(tiny_judge, packages, tmp_path_factory.mktemp("serve") / "serve.log")
    yield url
    process.terminate()
    process.wait(timeout=30)


def test_the_same_judge_over_the_openai_protocol_gives_the_same_verdicts(tiny_judge, server, tmp_path):
    answers = {"x": [a for _, a, _ in QUESTIONS], "y": [b for _, _, b in QUESTIONS]}
    spec = {"prompts": [q for q, _, _ in QUESTIONS], "answers": answers, "pairs": [["x", "y"]], "out": ""}
    local = evaluate({**spec, "judge": {"kind": "local", "model": tiny_judge}})
    remote = evaluate({**spec, "judge": {"kind": "openai", "base_url": server, "model": tiny_judge}})
    strip = lambda r: [(p["x_first"], p["y_first"]) for p in r["pairs"][0]["prompts"]]  # noqa: E731
    assert strip(remote) == strip(local)
    assert all(v is not None for pair in strip(remote) for v in pair)
    assert remote["judge"] == {"kind": "openai", "model": tiny_judge, "base_url": server, "api_key_env": None}
    assert len({v for pair in strip(local) for v in pair}) >= 2
