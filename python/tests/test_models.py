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


# A Hub model that is not a local folder: found in the cache, or refused in seconds when the Hub
# cannot be reached (huggingface_hub would retry for about a minute per file).
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hub(monkeypatch):
    """The Hub's settings as huggingface_hub read them at import, changed per test; no probe result kept."""
    from huggingface_hub import constants

    from trellis_runtime import models

    models.hub_source.cache_clear()
    yield constants
    models.hub_source.cache_clear()


@pytest.fixture
def cached_model(tiny_dir, hub):
    """The tiny model as the Hugging Face cache holds a download of `trellis-test/cached`."""
    import shutil
    from pathlib import Path

    repo = Path(hub.HF_HUB_CACHE) / "models--trellis-test--cached"
    snapshot = repo / "snapshots" / COMMIT
    if not snapshot.is_dir():
        shutil.copytree(tiny_dir, snapshot)
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / "main").write_text(COMMIT)
    return "trellis-test/cached", str(snapshot)


def closed_port() -> str:
    import socket

    with socket.socket() as s:  # bound, then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_an_uncached_model_offline_is_refused_at_once_naming_the_ways_out(hub, monkeypatch):
    from trellis_runtime.models import HubUnavailableError, hub_source

    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubUnavailableError) as err:
        hub_source("trellis-test/absent", None)
    message = str(err.value)
    assert "trellis-test/absent is not in the Hugging Face cache" in message
    assert "HF_HUB_OFFLINE is set" in message
    assert "model.name: /path/to/folder" in message


def test_an_uncached_model_with_the_hub_unreachable_is_refused_in_seconds(hub, monkeypatch):
    import time

    from trellis_runtime.models import HubUnavailableError, hub_source

    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub, "ENDPOINT", closed_port())
    started = time.monotonic()
    with pytest.raises(HubUnavailableError, match=r"the Hub \(http://127\.0\.0\.1:\d+\) cannot be reached: \w+"):
        hub_source("trellis-test/absent", None)
    assert time.monotonic() - started < 10


def test_a_cached_model_loads_from_its_folder_when_the_hub_is_unreachable(cached_model, hub, monkeypatch, recorder):
    from trellis_runtime.models import hub_source

    name, folder = cached_model
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub, "ENDPOINT", closed_port())
    assert hub_source(name, None) == folder
    assert hub_source(name, COMMIT) == folder
    tokenizer = load_tokenizer(name, MODEL, recorder.emitter)
    assert tokenizer.chat_template
    assert load_model(name, MODEL).config.vocab_size == 320
    assert recorder.of_type("notice")[0]["code"] == "hub_unreachable"


def test_a_cached_model_offline_and_any_model_with_the_hub_answering_load_by_name(cached_model, hub, monkeypatch):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from trellis_runtime.models import hub_source

    name, _ = cached_model
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)
    assert hub_source(name, None) == name  # transformers reads the cache without asking
    hub_source.cache_clear()

    class NotFound(BaseHTTPRequestHandler):
        def do_HEAD(self):  # any answer means the Hub is there
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setattr(hub, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(hub, "ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        assert hub_source(name, None) == name
        assert hub_source("trellis-test/absent", None) == "trellis-test/absent"  # the Hub says what is wrong
    finally:
        server.shutdown()
