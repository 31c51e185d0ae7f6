"""Shared fixtures: offline Hub, a private HF cache, and one tiny model for the whole session."""

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Before anything imports datasets or transformers: never reach for the Hub, and keep the
# datasets cache out of the user's home so that runs cannot leak into each other.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
# The tiny model is cached beside it, where resolve_model_name finds it too.
SCRATCH = Path(tempfile.mkdtemp(prefix="trellis-test-"))
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
os.environ["HF_HOME"] = str(SCRATCH / "hf")
os.environ["TRELLIS_CACHE_DIR"] = str(SCRATCH / "trellis")
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["TRL_EXPERIMENTAL_SILENCE"] = "1"
# Every test model is tiny: one thread each, as trellis runs tiny stages (see environment.py).
os.environ.setdefault("OMP_NUM_THREADS", "1")
for var in ("TRELLIS_EVENTS_FD", "TRELLIS_EVENTS_FILE", "RANK", "LOCAL_RANK"):
    os.environ.pop(var, None)

from trellis_runtime.events import Emitter  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
COLORS_TRAIN = REPO / "recipes" / "data" / "colors-train.jsonl"
COLORS_EVAL = REPO / "recipes" / "data" / "colors-eval.jsonl"
TINY_SPEC = {
    "architecture": "llama",
    "hidden_size": 64,
    "num_layers": 2,
    "num_heads": 4,
    "vocab_size": 320,
    "data_files": [str(COLORS_TRAIN), str(COLORS_EVAL)],
    "seed": 0,
}


# The model block of a stage spec, as trellis renders it, for tests that load the tiny model.
MODEL = {
    "name": None,
    "tiny": None,
    "dtype": "float32",
    "trust_remote_code": False,
    "revision": None,
    "chat_template": None,
}
# The tiny model's block, and the bundled colour pairs as a stage spec's data block.
TINY_MODEL = {**MODEL, "tiny": TINY_SPEC}
COLORS_DATA = {
    "train": {"files": [str(COLORS_TRAIN)], "format": "json"},
    "eval": {"files": [str(COLORS_EVAL)], "format": "json"},
    "columns": {},
}


@pytest.fixture(scope="session")
def tiny_cache() -> Path:
    return SCRATCH / "trellis" / "models"


@pytest.fixture(scope="session")
def tiny_dir() -> str:
    from trellis_runtime.tiny import ensure_tiny_model

    return ensure_tiny_model(TINY_SPEC)


class Recorder:
    """An emitter writing to a file, with the events read back as dicts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.emitter = Emitter(path.open("a", buffering=1, encoding="utf-8"), stage="test", enabled=True)

    @property
    def events(self) -> list[dict]:
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]

    def of_type(self, type_: str) -> list[dict]:
        return [e for e in self.events if e["type"] == type_]


@pytest.fixture
def recorder(tmp_path: Path) -> Recorder:
    return Recorder(tmp_path / "events.jsonl")


@pytest.fixture
def make_jsonl(tmp_path: Path):
    """Write rows as a JSON-lines file in the test's folder and return its path."""

    def make(name: str, rows: list[dict]) -> Path:
        path = tmp_path / name
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path

    return make
