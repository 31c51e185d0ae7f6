"""Quantised loading options and the merge's refusals; 4-bit itself needs the bitsandbytes extra."""

import importlib.util

import pytest
from conftest import MODEL

from trellis_runtime.merge import merge_stage, merged_dir
from trellis_runtime.quantization import MISSING_BNB, bnb_config, compute_dtype_name, dequantize, load_options

HAS_BNB = importlib.util.find_spec("bitsandbytes") is not None


@pytest.mark.parametrize(
    ("quantization", "model_dtype", "has_cuda", "expected"),
    [
        ({"bits": 4, "compute_dtype": "float16"}, "bfloat16", True, "float16"),  # the recipe's own wins
        ({"bits": 4}, "bfloat16", False, "bfloat16"),  # then model.dtype
        ({"bits": 4, "compute_dtype": "auto"}, "auto", False, "float32"),  # a CPU computes in float32
        ({"bits": 4}, None, False, "float32"),
    ],
)
def test_compute_dtype(quantization, model_dtype, has_cuda, expected):
    assert compute_dtype_name(quantization, model_dtype, has_cuda) == expected


def test_a_plain_model_gets_no_extra_options():
    assert load_options(MODEL) == {}
    assert load_options({**MODEL, "attn_implementation": "eager"}) == {"attn_implementation": "eager"}


@pytest.mark.skipif(HAS_BNB, reason="bitsandbytes is installed here")
def test_quantisation_without_bitsandbytes_says_how_to_get_it():
    with pytest.raises(ImportError, match='add "extras: \\[bitsandbytes\\]" to the recipe') as err:
        bnb_config({"bits": 4}, "float32")
    assert str(err.value) == MISSING_BNB


@pytest.mark.skipif(not HAS_BNB, reason="needs the bitsandbytes extra")
def test_bnb_config_4_and_8_bits():
    import torch

    four = bnb_config({"bits": 4, "quant_type": "fp4", "double_quant": False, "quant_storage": "bfloat16"}, "float32")
    assert (four.load_in_4bit, four.bnb_4bit_quant_type, four.bnb_4bit_use_double_quant) == (True, "fp4", False)
    assert (four.bnb_4bit_compute_dtype, four.bnb_4bit_quant_storage) == (torch.float32, torch.bfloat16)
    defaults = bnb_config({"bits": 4}, "float32")
    assert (defaults.bnb_4bit_quant_type, defaults.bnb_4bit_use_double_quant) == ("nf4", True)
    assert bnb_config({"bits": 8}, "auto").load_in_8bit is True


def test_dequantize_leaves_a_plain_model_alone(tiny_dir):
    from trellis_runtime.models import load_model

    model = load_model(tiny_dir, MODEL)
    assert dequantize(model) is model


def test_merge_refuses_a_stage_output_without_an_adapter(tmp_path):
    spec = {"args": {"output_dir": str(tmp_path)}, "model": MODEL, "from_dir": None}
    assert merged_dir(spec) == str(tmp_path / "merged")
    with pytest.raises(ValueError, match="holds no LoRA adapter"):
        merge_stage(spec)


@pytest.mark.parametrize(
    ("spec", "has_cuda", "bnb", "expected"),
    [
        ({"model": MODEL, "args": {}}, False, None, []),
        (
            {"model": MODEL, "args": {"use_liger_kernel": True}},
            False,
            None,
            ["use_liger_kernel: true needs a CUDA GPU"],
        ),
        ({"model": MODEL, "args": {"use_liger_kernel": True}}, True, None, []),
        (
            {"model": {**MODEL, "attn_implementation": "flash_attention_2"}, "args": {}},
            False,
            None,
            ["flash_attention_2 needs a CUDA GPU"],
        ),
        ({"model": {**MODEL, "quantization": {"bits": 4}}, "args": {}}, False, "0.50.2", []),
        (
            {"model": {**MODEL, "quantization": {"bits": 4}}, "args": {}},
            False,
            "0.45.5",
            ["needs bitsandbytes >= 0.46 (its CPU backend); this environment has 0.45.5"],
        ),
        ({"model": {**MODEL, "quantization": {"bits": 4}}, "args": {}}, True, "0.45.5", []),
        ({"model": {**MODEL, "quantization": {"bits": 8}}, "args": {}}, True, None, ["needs the bitsandbytes package"]),
    ],
)
def test_device_problems(spec, has_cuda, bnb, expected):
    from trellis_runtime.quantization import device_problems

    problems = device_problems(spec, has_cuda, bnb)
    assert len(problems) == len(expected)
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem


@pytest.mark.skipif(not HAS_BNB, reason="needs the bitsandbytes extra")
def test_a_4bit_model_s_saved_modules_compute_in_float32_without_autocast(tiny_dir):
    """TRL casts a QLoRA model's trainable parameters to bfloat16; modules_to_save copies come back."""
    from types import SimpleNamespace

    import torch
    from peft import LoraConfig, get_peft_model

    from trellis_runtime.models import load_model
    from trellis_runtime.quantization import match_saved_modules, prepare_for_training

    model = load_model(tiny_dir, {**MODEL, "quantization": {"bits": 4}})
    model = prepare_for_training(model, {"gradient_checkpointing": False})
    config = LoraConfig(r=4, target_modules="all-linear", modules_to_save=["embed_tokens", "lm_head"])
    model = get_peft_model(model, config)
    for param in model.parameters():  # what TRL 1.13's DPO and SFT trainers do to a quantised model
        if param.requires_grad:
            param.data = param.data.to(torch.bfloat16)
    ids = torch.tensor([[1, 2, 3, 4]])
    with pytest.raises(RuntimeError, match="same dtype"):
        model(input_ids=ids)
    # Under autocast (bf16 or fp16 on a GPU) the bfloat16 copies are left as TRL made them.
    assert match_saved_modules(model, SimpleNamespace(bf16=True, fp16=False)) == 0
    assert match_saved_modules(model, SimpleNamespace(bf16=False, fp16=False)) == 2  # lm_head, embed_tokens
    assert model(input_ids=ids).logits.dtype == torch.float32
    lora = {p.dtype for n, p in model.named_parameters() if p.requires_grad and "lora_" in n}
    assert lora == {torch.bfloat16}  # the adapter itself stays as TRL trains it
