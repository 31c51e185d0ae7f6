"""Shapes of preference data and their normal form (trellis_runtime.formats)."""

import json
from pathlib import Path

import pytest

from trellis_runtime import formats
from trellis_runtime.formats import Options, ShapeError, detect, normalise

REPO = Path(__file__).resolve().parents[2]
# The TypeScript check reads the same expectations (test/core/data/shape.test.ts).
EXPECTED = json.loads((REPO / "test" / "fixtures" / "shapes.json").read_text(encoding="utf-8"))


def user(text):
    return {"role": "user", "content": text}


def bot(text):
    return {"role": "assistant", "content": text}


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("split", ["train", "eval"])
def test_fixture_shapes_agree_with_the_typescript_check(name, split):
    path = REPO / "recipes" / "data" / "shapes" / f"{name}-{split}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert detect(rows) == EXPECTED[name]


def test_every_shape_normalises_to_the_same_pair():
    want = {"prompt": [user("Q?")], "chosen": [bot("yes.")], "rejected": [bot("no.")]}
    rows = {
        "prompt-in-answers": {
            "prompt": "Q?",
            "chosen": [user("Q?"), bot("yes.")],
            "rejected": [user("Q?"), bot("no.")],
        },
        "conversational": {"prompt": [user("Q?")], "chosen": [bot("yes.")], "rejected": [bot("no.")]},
        "implicit-messages": {"chosen": [user("Q?"), bot("yes.")], "rejected": [user("Q?"), bot("no.")]},
        "hh-text": {"chosen": "\n\nHuman: Q?\n\nAssistant: yes.", "rejected": "\n\nHuman: Q?\n\nAssistant: no."},
        "text": {"prompt": "Q?", "chosen": "yes.", "rejected": "no."},
    }
    for shape, row in rows.items():
        assert detect([row]) == shape
        assert normalise(row, shape, Options(to_messages=True)) == want, shape


def test_multi_turn_prompts_keep_every_shared_turn_and_extra_keys_go():
    turns = [user("Hi"), bot("Hello."), user("Q?")]
    row = {"chosen": [*turns, {**bot("yes."), "id": 1}], "rejected": [*turns, bot("no.")]}
    assert normalise(row, "implicit-messages", Options()) == {
        "prompt": turns,
        "chosen": [bot("yes.")],
        "rejected": [bot("no.")],
    }


def test_plain_text_gets_the_separator_only_where_the_texts_would_run_together():
    assert normalise({"prompt": "Q?", "chosen": "yes", "rejected": "no"}, "text", Options())["prompt"] == "Q? "
    assert normalise({"prompt": "Q?", "chosen": " yes", "rejected": " no"}, "text", Options())["prompt"] == "Q?"
    assert normalise({"prompt": "Q?\n", "chosen": "yes", "rejected": "no"}, "text", Options())["prompt"] == "Q?\n"
    assert (
        normalise({"prompt": "Q?", "chosen": "yes", "rejected": "no"}, "text", Options(separator="\n"))["prompt"]
        == "Q?\n"
    )


def test_hh_text_splits_at_the_last_assistant_turn():
    row = {
        "chosen": "\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Q?\n\nAssistant: yes.",
        "rejected": "\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Q?\n\nAssistant: no.",
    }
    plain = normalise(row, "hh-text", Options())
    assert plain == {
        "prompt": "\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Q?\n\nAssistant:",
        "chosen": " yes.",
        "rejected": " no.",
    }
    chat = normalise(row, "hh-text", Options(to_messages=True))
    assert chat["prompt"] == [user("Hi"), bot("Hello."), user("Q?")]


def test_implicit_text_splits_at_a_word_boundary():
    pair = normalise({"chosen": "The lemon is yellow.", "rejected": "The lemon is yucky."}, "implicit-text", Options())
    assert pair == {"prompt": "The lemon is", "chosen": " yellow.", "rejected": " yucky."}


def test_a_system_prompt_is_added_where_the_prompt_has_none():
    row = {"prompt": "Q?", "chosen": "yes.", "rejected": "no."}
    pair = normalise(row, "text", Options(to_messages=True, system_prompt="Be brief."))
    assert pair["prompt"] == [{"role": "system", "content": "Be brief."}, user("Q?")]
    own = {"prompt": [{"role": "system", "content": "Mine."}, user("Q?")], "chosen": [bot("y")], "rejected": [bot("n")]}
    assert normalise(own, "conversational", Options(system_prompt="Be brief."))["prompt"][0]["content"] == "Mine."


def test_scores_pass_through():
    row = {"prompt": "Q", "chosen": " a", "rejected": " b", "score_chosen": 8.0, "score_rejected": 3.0}
    assert normalise(row, "text", Options())["score_chosen"] == 8.0


def test_mixed_shapes_name_the_first_row_that_differs():
    rows = [{"prompt": "Q", "chosen": "a", "rejected": "b"}] * 3 + [{"chosen": "Q a", "rejected": "Q b"}]
    with pytest.raises(ShapeError) as info:
        detect(rows)
    assert info.value.row == 3
    assert "implicit-text where the first row is text" in str(info.value)


def test_is_conversational_follows_the_shape_not_one_key():
    # trl's is_conversational looks at one key; here every shape decides alike in every process.
    assert formats.is_conversational("prompt-in-answers", Options())
    assert not formats.is_conversational("text", Options())
    assert formats.is_conversational("text", Options(to_messages=True))
