import json
import os
import shutil
from pathlib import Path

from conftest import TINY_SPEC

from trellis_runtime import tiny


def test_builds_a_loadable_model_and_tokenizer_without_pad(tiny_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_dir)
    assert tokenizer.pad_token is None
    assert tokenizer.eos_token == "<|eos|>"
    assert 200 < len(tokenizer) <= TINY_SPEC["vocab_size"]
    assert model.config.vocab_size == len(tokenizer)
    assert model.config.hidden_size == 64 and model.config.num_hidden_layers == 2
    # Byte-level BPE: text it never saw still round-trips.
    assert tokenizer.decode(tokenizer("Zebra ünïcode 42")["input_ids"]) == "Zebra ünïcode 42"
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}], tokenize=False
    )
    assert rendered == "<|user|>Hi<|eos|><|assistant|>Yo<|eos|>"
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Hi"}], tokenize=False, add_generation_prompt=True
    )
    assert rendered.startswith(prompt)


def test_cache_is_reused(tiny_dir, tiny_cache, monkeypatch):
    def no_build(*args, **kwargs):
        raise AssertionError("rebuilt a cached model")

    monkeypatch.setattr(tiny, "build", no_build)
    assert tiny.ensure_tiny_model(TINY_SPEC, str(tiny_cache)) == tiny_dir


def test_cache_key_follows_the_spec_and_the_data_bytes(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "a"}\n')
    spec = {**TINY_SPEC, "data_files": [str(data)]}
    key = tiny.cache_key(spec)
    assert tiny.cache_key(dict(reversed(spec.items()))) == key
    assert tiny.cache_key({**spec, "seed": 1}) != key
    data.write_text('{"text": "b"}\n')
    assert tiny.cache_key(spec) != key


def test_a_build_that_loses_the_race_returns_the_winner(tiny_dir, tmp_path, monkeypatch):
    spec = {**TINY_SPEC, "seed": 99}
    target = tmp_path / tiny.cache_key({**tiny.DEFAULT_SPEC, **spec})

    def racing_build(spec: dict, out_dir: Path) -> None:
        # Another process finishes first, while this one is still building.
        shutil.copytree(tiny_dir, target)
        shutil.copytree(tiny_dir, out_dir, dirs_exist_ok=True)

    monkeypatch.setattr(tiny, "build", racing_build)
    assert tiny.ensure_tiny_model(spec, str(tmp_path)) == str(target)
    assert os.listdir(tmp_path) == [target.name]  # the loser's temp folder is gone


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("TRELLIS_CACHE_DIR", str(tmp_path / "t"))
    assert tiny.default_cache_dir() == tmp_path / "t" / "models"
    monkeypatch.delenv("TRELLIS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert tiny.default_cache_dir() == tmp_path / "x" / "trellis" / "models"


def test_texts_of_reads_strings_and_message_contents(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "hello"}], "n": 3}) + "\n")
    csv = tmp_path / "d.csv"
    csv.write_text("text,label\nworld,1\n")
    assert list(tiny.texts_of([str(path), str(csv)])) == ["user", "hello", "world", "1"]


def test_cli_prints_the_folder(tiny_dir, tiny_cache, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["tiny", "--spec", json.dumps(TINY_SPEC), "--cache-dir", str(tiny_cache)])
    tiny.main()
    assert capsys.readouterr().out.strip() == tiny_dir


def test_a_build_leaves_the_global_rng_as_it_was(tmp_path):
    """A cold-cache run builds the model mid-stage; later draws (LoRA init) must not change."""
    import torch

    torch.manual_seed(123)
    expected = torch.rand(4)
    torch.manual_seed(123)
    tiny.build({**tiny.DEFAULT_SPEC, **TINY_SPEC}, tmp_path)
    assert torch.equal(torch.rand(4), expected)


def releases(transformers: str, tokenizers: str = "0.22", torch: str = "2.13"):
    """A stand-in for compat.version_of: this environment has these releases."""
    table = {"transformers": transformers, "tokenizers": tokenizers, "torch": torch}
    return lambda name: (*(int(n) for n in table[name].split(".")), 0)


def test_cache_key_follows_the_writing_releases():
    """transformers 5's tokenizer (TokenizersBackend) cannot be read by 4.x: each has its own folder."""
    new = {"transformers": "5.18", "tokenizers": "0.22", "torch": "2.13"}
    key = tiny.cache_key(TINY_SPEC, new)
    assert tiny.cache_key(TINY_SPEC, {**new, "transformers": "4.53"}) != key
    assert tiny.cache_key(TINY_SPEC, {**new, "tokenizers": "0.21"}) != key
    assert tiny.cache_key(TINY_SPEC, {**new, "torch": "2.9"}) != key
    assert tiny.cache_key(TINY_SPEC, dict(new)) == key


def test_writer_versions_are_major_minor_of_the_installed_releases(monkeypatch):
    monkeypatch.setattr(tiny, "version_of", releases("4.57.6", "0.22.2", "2.13.0"))
    assert tiny.writer_versions() == {"transformers": "4.57", "tokenizers": "0.22", "torch": "2.13"}


def test_a_model_written_by_one_transformers_is_not_offered_to_another(tmp_path, monkeypatch):
    built: list[str] = []

    def fake_build(spec: dict, out_dir: Path) -> None:
        built.append(tiny.writer_versions()["transformers"])
        (out_dir / "config.json").write_text("{}")

    monkeypatch.setattr(tiny, "build", fake_build)
    monkeypatch.setattr(tiny, "version_of", releases("5.18.0"))
    newer = tiny.ensure_tiny_model(TINY_SPEC, str(tmp_path))
    monkeypatch.setattr(tiny, "version_of", releases("4.53.3", "0.21.4"))
    older = tiny.ensure_tiny_model(TINY_SPEC, str(tmp_path))
    assert older != newer and built == ["5.18", "4.53"]
    # Each environment finds its own again, and builds nothing more.
    assert tiny.ensure_tiny_model(TINY_SPEC, str(tmp_path)) == older
    monkeypatch.setattr(tiny, "version_of", releases("5.18.0"))
    assert tiny.ensure_tiny_model(TINY_SPEC, str(tmp_path)) == newer
    assert built == ["5.18", "4.53"]


def test_the_folder_names_the_releases_that_wrote_it(tiny_dir):
    stamp = json.loads((Path(tiny_dir) / tiny.WRITER_FILE).read_text(encoding="utf-8"))
    assert stamp["writer"] == tiny.writer_versions()
    assert Path(tiny_dir).name == tiny.cache_key({**tiny.DEFAULT_SPEC, **TINY_SPEC}, stamp["writer"])
