import pytest
from conftest import MODEL

from trellis_runtime.models import is_adapter_dir, load_model, load_tokenizer, resolve_model_name


def test_missing_pad_token_falls_back_to_eos_with_a_notice(tiny_dir, recorder):
    tokenizer = load_tokenizer(tiny_dir, MODEL, recorder.emitter)
    assert tokenizer.pad_token == "<|eos|>"
    (notice,) = recorder.of_type("notice")
    assert notice["code"] == "pad_token"
    assert notice["message"] == "the tokenizer has no pad token; using its eos token '<|eos|>' for padding"


def test_saved_tokenizer_keeps_its_pad_token(tiny_dir, recorder, tmp_path):
    load_tokenizer(tiny_dir, MODEL, recorder.emitter).save_pretrained(tmp_path)
    load_tokenizer(str(tmp_path), MODEL, recorder.emitter)
    assert len(recorder.of_type("notice")) == 1  # only the first load needed the fix


def test_chat_template_override(tiny_dir, recorder):
    template = "{% for m in messages %}[{{ m['content'] }}]{% endfor %}"
    tokenizer = load_tokenizer(tiny_dir, {**MODEL, "chat_template": template}, recorder.emitter)
    assert tokenizer.apply_chat_template([{"role": "user", "content": "x"}], tokenize=False) == "[x]"


@pytest.mark.parametrize(("dtype", "expected"), [("float32", "float32"), ("bfloat16", "bfloat16"), ("auto", "float32")])
def test_load_model_dtype(tiny_dir, dtype, expected):
    model = load_model(tiny_dir, {**MODEL, "dtype": dtype})
    assert str(model.dtype) == f"torch.{expected}"


def test_resolve_model_name(tiny_dir):
    from conftest import TINY_SPEC

    assert resolve_model_name({**MODEL, "name": "org/model", "tiny": TINY_SPEC}) == "org/model"
    assert resolve_model_name({**MODEL, "tiny": TINY_SPEC}) == tiny_dir
    with pytest.raises(ValueError, match="names neither"):
        resolve_model_name(MODEL)


def test_an_adapter_folder_is_merged_into_its_base(tiny_dir, recorder, tmp_path):
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model

    torch.manual_seed(0)
    peft_model = get_peft_model(load_model(tiny_dir, MODEL), LoraConfig(r=4, target_modules="all-linear"))
    with torch.no_grad():  # LoRA starts as a no-op; make it change the outputs
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.5)
    peft_model.save_pretrained(tmp_path)
    assert is_adapter_dir(str(tmp_path)) and not is_adapter_dir(tiny_dir)

    merged = load_model(str(tmp_path), MODEL)
    assert not isinstance(merged, PeftModel)
    ids = torch.tensor([[5, 6, 7, 8]])
    base = load_model(tiny_dir, MODEL)
    with torch.no_grad():
        expected = peft_model.eval()(input_ids=ids).logits
        assert torch.allclose(merged(input_ids=ids).logits, expected, atol=1e-4)
        assert not torch.allclose(base(input_ids=ids).logits, expected, atol=1e-4)
