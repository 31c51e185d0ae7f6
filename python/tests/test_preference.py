import pytest
from conftest import MODEL
from datasets import Dataset

from trellis_runtime.models import load_model, load_tokenizer
from trellis_runtime.preference import encode_pair, logp_sums, mean_logps, preference_accuracy


@pytest.fixture(scope="module")
def tok_model(tiny_dir):
    from trellis_runtime.events import Emitter

    return load_tokenizer(tiny_dir, MODEL, Emitter(None)), load_model(tiny_dir, MODEL)


@pytest.fixture(scope="module")
def colors_eval():
    from conftest import COLORS_EVAL

    return Dataset.from_json(str(COLORS_EVAL))


def test_swapping_chosen_and_rejected_mirrors_the_accuracy(tok_model, colors_eval):
    tokenizer, model = tok_model
    result = preference_accuracy(model, tokenizer, colors_eval)
    swapped = colors_eval.rename_columns({"chosen": "rejected", "rejected": "chosen"})
    assert result["pairs"] == 80
    assert preference_accuracy(model, tokenizer, swapped)["accuracy"] == pytest.approx(1 - result["accuracy"])
    # An untrained model has no idea: near chance.
    assert 0.3 <= result["accuracy"] <= 0.7


def test_identical_answers_tie_at_one_half(tok_model):
    tokenizer, model = tok_model
    ds = Dataset.from_list([{"prompt": "What color is the sky?", "chosen": " Blue.", "rejected": " Blue."}] * 3)
    result = preference_accuracy(model, tokenizer, ds)
    assert (result["accuracy"], result["accuracy_sum"], result["pairs"]) == (0.5, 0.5, 3)
    assert result["margin"] == result["margin_sum"] == 0.0


def test_margins_and_chosen_nll_agree_with_the_per_sequence_scores(tok_model, colors_eval):
    import torch

    tokenizer, model = tok_model
    pairs = [encode_pair(colors_eval[i], tokenizer, 1024) for i in range(4)]
    ds = colors_eval.select(range(4))
    result = preference_accuracy(model, tokenizer, ds)
    with torch.no_grad():
        chosen = logp_sums(model, [p[0] for p in pairs], tokenizer)
        rejected = logp_sums(model, [p[1] for p in pairs], tokenizer)
    margin = sum(c / cn - r / rn for (c, cn), (r, rn) in zip(chosen, rejected, strict=True)) / 4
    assert result["margin"] == pytest.approx(margin, abs=1e-5)
    margin_sum = sum(c - r for (c, _), (r, _) in zip(chosen, rejected, strict=True)) / 4
    assert result["margin_sum"] == pytest.approx(margin_sum, abs=1e-4)
    assert result["chosen_nll"] == pytest.approx(-sum(c for c, _ in chosen) / sum(n for _, n in chosen), abs=1e-5)
    assert result["chosen_nll"] > 0


def test_max_pairs(tok_model, colors_eval):
    tokenizer, model = tok_model
    assert preference_accuracy(model, tokenizer, colors_eval, max_pairs=5)["pairs"] == 5


def test_conversational_and_implicit_pairs(tok_model):
    tokenizer, model = tok_model
    user = {"role": "user", "content": "What color is the lemon?"}
    yes = {"role": "assistant", "content": "The lemon is yellow."}
    no = {"role": "assistant", "content": "The lemon is blue."}
    explicit = Dataset.from_list([{"prompt": [user], "chosen": [yes], "rejected": [no]}])
    implicit = Dataset.from_list([{"chosen": [user, yes], "rejected": [user, no]}])
    plain_implicit = Dataset.from_list([{"chosen": "What color? Yellow.", "rejected": "What color? Blue."}])
    a = preference_accuracy(model, tokenizer, explicit)
    assert a["pairs"] == 1
    assert preference_accuracy(model, tokenizer, implicit) == a  # same prompt found either way
    assert preference_accuracy(model, tokenizer, plain_implicit)["pairs"] == 1


def test_conversational_pairs_score_only_the_answer(tok_model):
    tokenizer, _ = tok_model
    example = {
        "prompt": [{"role": "user", "content": "Q"}],
        "chosen": [{"role": "assistant", "content": "yes"}],
        "rejected": [{"role": "assistant", "content": "no"}],
    }
    (ids, start), _ = encode_pair(example, tokenizer, 1024)
    assert tokenizer.decode(ids[start:]) == "yes<|eos|>"
    assert tokenizer.decode(ids[:start]) == "<|user|>Q<|eos|><|assistant|>"


def test_plain_pairs_score_the_answer_and_eos(tok_model):
    tokenizer, _ = tok_model
    (ids, start), (r_ids, r_start) = encode_pair(
        {"prompt": "Q?", "chosen": " Yes.", "rejected": " No."}, tokenizer, 1024
    )
    assert tokenizer.decode(ids[start:]) == " Yes.<|eos|>"
    assert tokenizer.decode(r_ids[r_start:]) == " No.<|eos|>"


def test_batching_and_padding_do_not_change_scores(tok_model, colors_eval):
    tokenizer, model = tok_model
    short = encode_pair(colors_eval[0], tokenizer, 1024)[0]
    long = encode_pair(
        {"prompt": "Tell me, please, the color of the sunflower?", "chosen": " It is yellow.", "rejected": " x"},
        tokenizer,
        1024,
    )[0]
    import torch

    with torch.no_grad():
        together = mean_logps(model, [short, long], tokenizer)
        alone = [mean_logps(model, [short], tokenizer)[0], mean_logps(model, [long], tokenizer)[0]]
    assert together == pytest.approx(alone, abs=1e-5)


def test_restores_training_mode_and_works_for_peft(tok_model, colors_eval):
    from peft import LoraConfig, get_peft_model

    tokenizer, model = tok_model
    peft_model = get_peft_model(load_model(model.name_or_path, MODEL), LoraConfig(r=4, target_modules="all-linear"))
    peft_model.train()
    # A fresh adapter is a no-op: the PEFT model scores exactly like its base.
    assert preference_accuracy(peft_model, tokenizer, colors_eval) == preference_accuracy(model, tokenizer, colors_eval)
    assert peft_model.training
    model.eval()
    preference_accuracy(model, tokenizer, colors_eval, max_pairs=2)
    assert not model.training
