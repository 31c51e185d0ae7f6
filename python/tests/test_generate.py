"""Generations on every data shape: prompts drawn from the normalised eval pairs, encoded as the
trainers see them (the chat template for messages, plain text otherwise), answered by the tiny
model, and shown as their last user turn. With and without a chat template on the tokenizer.

The shapes are the files of recipes/data/shapes/ (python/tools/make_shape_data.py), loaded by the
same load_datasets a stage uses.
"""

import pytest
from conftest import MODEL, REPO

from trellis_runtime.data import load_datasets
from trellis_runtime.events import Emitter
from trellis_runtime.generate import Generations, encode_prompt, pick_prompts, prompt_text, token_ids
from trellis_runtime.models import load_model, load_tokenizer

SHAPES = REPO / "recipes" / "data" / "shapes"
QUESTION = "What colour does the flamingo have?"
# (shape file, data options, whether the normalised prompts are messages)
CASES = [
    ("prompt-in-answers", {}, True),  # HuggingFaceH4/ultrafeedback_binarized
    ("conversational", {}, True),  # TRL's conversational form, a system turn first
    ("implicit-messages", {}, True),
    ("hh-text", {}, False),  # Anthropic/hh-rlhf
    ("hh-text", {"to_messages": True}, True),
    ("text", {}, False),
    ("text", {"to_messages": True}, True),
    ("scores", {}, False),
]
IDS = [f"{shape}{'+to_messages' if options else ''}" for shape, options, _ in CASES]


def eval_pairs(shape: str, options: dict):
    files = lambda split: {"files": [str(SHAPES / f"{shape}-{split}.jsonl")], "format": "json"}  # noqa: E731
    data = {"train": files("train"), "eval": files("eval"), **options}
    return load_datasets(data, "dpo", 0, Emitter(None)).eval_pairs


@pytest.fixture(scope="module")
def tokenizers(tiny_dir):
    """The tiny model's tokenizer (it has a chat template), and the same without one."""
    with_template = load_tokenizer(tiny_dir, MODEL, Emitter(None))
    without = load_tokenizer(tiny_dir, MODEL, Emitter(None))
    without.chat_template = None
    return {"template": with_template, "none": without}


@pytest.fixture(scope="module")
def model(tiny_dir):
    return load_model(tiny_dir, MODEL)


@pytest.mark.parametrize(("shape", "options", "chat"), CASES, ids=IDS)
def test_every_shape_draws_prompts_the_trainers_see(shape, options, chat, tokenizers):
    prompts = pick_prompts({"count": 3}, eval_pairs(shape, options), seed=42)
    assert len(prompts) == 3
    for prompt in prompts:
        assert isinstance(prompt, list) == chat
        assert prompt_text(prompt).startswith("What colour does the ")
        assert prompt_text(prompt).endswith("?")
    template = tokenizers["template"]
    for prompt in prompts:
        ids = encode_prompt(prompt, template)
        assert ids and all(isinstance(i, int) for i in ids)
        if chat:
            text = template.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
            assert ids == template(text, add_special_tokens=False)["input_ids"]
            assert text.endswith("<|assistant|>")
        else:
            assert ids == template(prompt)["input_ids"]
            # Plain-text data never goes through the template, whether the tokenizer has one or not.
            assert encode_prompt(prompt, tokenizers["none"]) == ids


CHAT = [(case, name) for case, name in zip(CASES, IDS, strict=True) if case[2]]


@pytest.mark.parametrize(("shape", "options", "chat"), [c for c, _ in CHAT], ids=[n for _, n in CHAT])
def test_chat_prompts_without_a_chat_template_say_what_to_set(shape, options, chat, tokenizers):
    (prompt,) = pick_prompts({"count": 1}, eval_pairs(shape, options), seed=0)
    with pytest.raises(ValueError, match=r"no chat template; set model\.chat_template"):
        encode_prompt(prompt, tokenizers["none"])


@pytest.mark.parametrize(("shape", "options", "chat"), CASES, ids=IDS)
def test_every_shape_generates_and_emits_the_question(shape, options, chat, tokenizers, model, recorder):
    spec = {"seed": 42, "generations": {"count": 2, "max_new_tokens": 4}}
    generations = Generations.from_spec(spec, eval_pairs(shape, options), tokenizers["template"], recorder.emitter)
    generations.run(model, "before", 0)
    (event,) = recorder.of_type("generations")
    assert [s["prompt"] for s in event["samples"]] == [prompt_text(p) for p in generations.prompts]
    for sample in event["samples"]:
        assert sample["prompt"].startswith("What colour") and "Human:" not in sample["prompt"]
        assert isinstance(sample["answer"], str)


def test_recipe_prompts_become_a_user_turn_on_chat_data(tokenizers):
    config = {"prompts": [QUESTION]}
    assert pick_prompts(config, eval_pairs("conversational", {}), 0) == [[{"role": "user", "content": QUESTION}]]
    assert pick_prompts(config, eval_pairs("text", {}), 0) == [QUESTION]
    assert pick_prompts(config, None, 0) == [QUESTION]


def test_prompt_text_shows_the_last_user_turn():
    dialogue = "\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: " + QUESTION + "\n\nAssistant:"
    assert prompt_text(dialogue) == QUESTION
    assert prompt_text("plain prompt ") == "plain prompt"
    turns = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    turns += [{"role": "assistant", "content": "Hello."}, {"role": "user", "content": QUESTION}]
    assert prompt_text(turns) == QUESTION


def test_token_ids_read_every_return_type_of_apply_chat_template():
    import torch
    from transformers import BatchEncoding

    ids = [5, 6, 7]
    assert token_ids(ids) == ids  # transformers 4.5x
    assert token_ids(BatchEncoding({"input_ids": ids, "attention_mask": [1, 1, 1]})) == ids  # transformers 5
    assert token_ids({"input_ids": [ids]}) == ids  # a batch of one
    assert token_ids(torch.tensor([ids])) == ids
    with pytest.raises(TypeError, match="expected token ids"):
        token_ids(["input_ids", "attention_mask"])
