"""Real TRL training on the tiny model, wired the way a rendered stage script wires it.

These are the acceptance numbers of the quickstart: held-out preference accuracy near 0.5
before training, >= 0.8 after ORPO and after SFT followed by DPO.
"""

import os
from pathlib import Path

import pytest
from conftest import COLORS_DATA, COLORS_EVAL, TINY_MODEL

from trellis_runtime import environment
from trellis_runtime.callback import TrellisCallback
from trellis_runtime.data import load_datasets
from trellis_runtime.models import is_adapter_dir, load_model, load_tokenizer, resolve_model_name
from trellis_runtime.preference import preference_accuracy

pytestmark = pytest.mark.train

MODEL = TINY_MODEL
DATA = COLORS_DATA
# The quickstart's arguments: learned with margin in a few seconds on 2 CPU cores.
COMMON = {
    "seed": 42,
    "per_device_train_batch_size": 8,
    "learning_rate": 3e-3,
    "logging_steps": 10,
    "gradient_checkpointing": False,
    "report_to": "none",
    "disable_tqdm": True,
    "save_strategy": "no",
}
EPOCHS = {"orpo": 6, "sft": 2, "dpo": 4}
LORA = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.0, "target_modules": "all-linear", "task_type": "CAUSAL_LM"}


def run_stage(
    trainer_name: str, out: Path, recorder, from_dir: str | None = None, peft: dict | None = None, **args
) -> list[float]:
    """The body of a rendered stage script; returns the preference accuracies before and after."""
    from peft import LoraConfig
    from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer
    from trl.experimental.orpo import ORPOConfig, ORPOTrainer

    config_cls, trainer_cls = {
        "orpo": (ORPOConfig, ORPOTrainer),
        "dpo": (DPOConfig, DPOTrainer),
        "sft": (SFTConfig, SFTTrainer),
    }[trainer_name]
    emit = recorder.emitter
    environment.prepare({"seed": 42})
    start_from = from_dir or resolve_model_name(MODEL)
    tokenizer = load_tokenizer(start_from, MODEL, emit)
    data = load_datasets(DATA, trainer_name, 42, emit)
    model = load_model(start_from, MODEL)
    extra = {"ref_model": load_model(start_from, MODEL)} if trainer_name == "dpo" and peft is None else {}
    all_args = {**COMMON, "num_train_epochs": EPOCHS[trainer_name], "output_dir": str(out), **args}
    config = config_cls(**environment.fit_precision(all_args, emit))
    trainer = trainer_cls(
        model=model,
        args=config,
        train_dataset=data.train,
        eval_dataset=data.eval,
        processing_class=tokenizer,
        peft_config=LoraConfig(**peft) if peft else None,
        callbacks=[TrellisCallback(emit)],
        **extra,
    )
    before = preference_accuracy(trainer.model, tokenizer, data.eval_pairs)["accuracy"]
    trainer.train()
    trainer.save_model(config.output_dir)
    tokenizer.save_pretrained(config.output_dir)
    after = preference_accuracy(trainer.model, tokenizer, data.eval_pairs)["accuracy"]
    return [before, after]


def test_orpo_learns_the_colours(tmp_path, recorder):
    before, after = run_stage("orpo", tmp_path / "orpo", recorder)
    assert 0.3 <= before <= 0.7
    assert after >= 0.8
    types = [e["type"] for e in recorder.events]
    assert types[:2] == ["notice", "data"]  # the pad-token fix, then the data summary
    # Training ends with its summary, then the stage's cost (the usage event).
    assert types.count("train_begin") == 1 and types[-2:] == ["train_summary", "usage"]
    metrics = recorder.of_type("metrics")
    assert metrics[-1]["step"] == metrics[-1]["max_steps"] == 240
    assert {"loss", "nll_loss", "log_odds_ratio"} <= set(metrics[-1]["metrics"])


def test_sft_then_dpo_learns_the_colours(tmp_path, recorder):
    # The SFT stage evaluates its converted eval set each epoch while scoring the raw pairs.
    sft = run_stage("sft", tmp_path / "sft", recorder, eval_strategy="epoch")
    dpo = run_stage("dpo", tmp_path / "dpo", recorder, from_dir=str(tmp_path / "sft"))
    assert 0.3 <= sft[0] <= 0.7
    assert dpo[0] == pytest.approx(sft[1])  # DPO starts exactly where SFT ended
    assert dpo[1] >= 0.8
    assert len(recorder.of_type("eval")) == EPOCHS["sft"]
    assert "rewards/margins" in recorder.of_type("metrics")[-1]["metrics"]


def test_dpo_with_lora_saves_an_adapter_the_next_stage_can_start_from(tmp_path, recorder):
    before, after = run_stage("dpo", tmp_path / "lora", recorder, peft=LORA, num_train_epochs=1)
    assert is_adapter_dir(str(tmp_path / "lora"))
    assert after > before
    merged = load_model(str(tmp_path / "lora"), MODEL)
    tokenizer = load_tokenizer(str(tmp_path / "lora"), MODEL, recorder.emitter)
    from datasets import Dataset

    pairs = Dataset.from_json(str(COLORS_EVAL))
    assert preference_accuracy(merged, tokenizer, pairs)["accuracy"] == pytest.approx(after)
    assert os.path.isfile(tmp_path / "lora" / "tokenizer.json")
