"""Reward-model scoring with a real (tiny, locally built) sequence-classification model."""

import json
import subprocess
import sys

import pytest
from conftest import COLORS_EVAL, REPO, TINY_SPEC

from trellis_runtime import reward_score, tiny

PAIRS = [
    {"prompt": "What colour is the snow?", "answer": " The snow is white."},
    {"prompt": "What colour is the grass?", "answer": " green"},
    {"prompt": "What colour is the sky?", "answer": " The sky is blue, mostly, on a clear day."},
]
REWARD_SPEC = {"tiny": {"data_files": [str(COLORS_EVAL)]}}


@pytest.fixture(scope="module")
def reward_dir(tmp_path_factory):
    return tiny.ensure_tiny_model({"head": "reward", "data_files": [str(COLORS_EVAL)]})


def test_tiny_reward_model_is_a_one_output_classifier_with_a_pad_token(reward_dir):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(reward_dir)
    tokenizer = AutoTokenizer.from_pretrained(reward_dir)
    assert model.config.num_labels == 1
    assert tokenizer.pad_token == tiny.EOS and model.config.pad_token_id == tokenizer.pad_token_id
    # Its own cache entry: the causal LM of the same spec is another folder.
    assert reward_dir != tiny.ensure_tiny_model({"data_files": [str(COLORS_EVAL)]})


def test_unknown_head_is_refused():
    with pytest.raises(ValueError, match="head"):
        tiny.ensure_tiny_model({**TINY_SPEC, "head": "value"})


def test_scores_do_not_depend_on_the_batch(reward_dir):
    one = reward_score.score({"model": REWARD_SPEC, "batch_size": 1, "sets": {"start": PAIRS}})
    three = reward_score.score({"model": REWARD_SPEC, "batch_size": 3, "sets": {"start": PAIRS, "same": PAIRS}})
    assert one["chat_template"] is True
    assert one["model"]["source"] == reward_dir and len(one["model"]["sha256"]) == 64
    assert len(three["rewards"]["start"]) == 3
    # Padding must not move a reward: the model reads each row's last real token.
    for a, b in zip(one["rewards"]["start"], three["rewards"]["start"], strict=True):
        assert abs(a - b) < 1e-5
    assert three["rewards"]["same"] == three["rewards"]["start"]


def test_the_chat_template_or_plain_text_is_what_the_model_reads(reward_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(reward_dir)
    assert reward_score.pair_text(tokenizer, "Hi", "Yo") == "<|user|>Hi<|eos|><|assistant|>Yo<|eos|>"
    tokenizer.chat_template = None
    assert reward_score.pair_text(tokenizer, "Hi", " Yo") == "Hi Yo"


def test_a_model_with_more_than_one_output_is_refused(tmp_path, reward_dir):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(reward_dir, num_labels=3, ignore_mismatched_sizes=True)
    model.save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(reward_dir).save_pretrained(tmp_path)
    with pytest.raises(reward_score.RewardError, match="has 3 outputs; a reward model has one"):
        reward_score.score({"model": {"name": str(tmp_path)}, "sets": {"start": PAIRS}})


def test_the_module_answers_one_message_on_failure():
    # The answer path through the module runs in test/app/compare-scores.test.ts (scoreAnswers).
    bad = subprocess.run(
        [sys.executable, "-m", "trellis_runtime.reward_score"],
        input=json.dumps({"model": REWARD_SPEC, "sets": {"start": [{"prompt": 1}]}}),
        capture_output=True,
        text=True,
        cwd=REPO / "python",
    )
    assert bad.returncode == 1
    message = "answer set 'start': each item needs a string prompt and a string answer"
    assert json.loads(bad.stdout) == {"error": message}
