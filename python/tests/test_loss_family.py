"""Every DPO loss type of the pinned TRL, and CPO's, trains a few real steps on the tiny model.

The loss types come from src/core/trl/fields-1.13.json (python/tools/dump_trl_fields.py read them
from the installed TRL), the same table `trellis check` judges a recipe's loss_type by: when the
pin moves and the table is regenerated, this test follows it. A few steps each, not learning:
that a loss runs on trellis's data and callback, and logs finite numbers, is what is asserted.
"""

import json
import math
from pathlib import Path

import pytest
from conftest import REPO
from test_training import COMMON, DATA, MODEL

from trellis_runtime import environment
from trellis_runtime.callback import TrellisCallback
from trellis_runtime.data import load_datasets
from trellis_runtime.models import load_model, load_tokenizer, resolve_model_name

pytestmark = pytest.mark.train

TABLE = json.loads((REPO / "src" / "core" / "trl" / "fields-1.13.json").read_text())["classes"]
DPO_LOSSES = TABLE["dpo"]["fields"]["loss_type"]["values"]
CPO_LOSSES = TABLE["cpo"]["fields"]["loss_type"]["values"]
# What a loss needs besides the pairs, from the TRL source (DPOTrainer.__init__): EXO divides by
# label_smoothing and refuses 0; the EXO paper's value.
EXTRA_ARGS = {"exo_pair": {"label_smoothing": 1e-3}}
STEPS = 2


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    """Tokenizer and data once for every loss (the model is rebuilt per loss: training changes it)."""
    from conftest import Recorder

    recorder = Recorder(tmp_path_factory.mktemp("events") / "events.jsonl")
    environment.prepare({"seed": 42})
    start = resolve_model_name(MODEL)
    tokenizer = load_tokenizer(start, MODEL, recorder.emitter)
    data = load_datasets(DATA, "dpo", 42, recorder.emitter)
    return start, tokenizer, data, recorder


def train(stage, trainer: str, out: Path, **args) -> dict[str, float]:
    from trl import DPOConfig, DPOTrainer
    from trl.experimental.cpo import CPOConfig, CPOTrainer

    start, tokenizer, data, recorder = stage
    config_cls, trainer_cls = (DPOConfig, DPOTrainer) if trainer == "dpo" else (CPOConfig, CPOTrainer)
    model = load_model(start, MODEL)
    extra = {"ref_model": load_model(start, MODEL)} if trainer == "dpo" else {}
    all_args = {**COMMON, "max_steps": STEPS, "logging_steps": 1, "output_dir": str(out), "max_length": 64, **args}
    config = config_cls(**environment.fit_precision(all_args, recorder.emitter))
    runner = trainer_cls(
        model=model,
        args=config,
        train_dataset=data.train.select(range(8 * STEPS)),
        processing_class=tokenizer,
        callbacks=[TrellisCallback(recorder.emitter)],
        **extra,
    )
    runner.train()
    logged = [h for h in runner.state.log_history if "loss" in h]
    assert len(logged) == STEPS
    return logged[-1]


@pytest.mark.parametrize("loss_type", DPO_LOSSES)
def test_each_dpo_loss_type_trains(loss_type, stage, tmp_path):
    last = train(stage, "dpo", tmp_path, loss_type=[loss_type], **EXTRA_ARGS.get(loss_type, {}))
    assert math.isfinite(last["loss"])


def test_weighted_dpo_losses_train_together(stage, tmp_path):
    # RPO as TRL 0.29+ spells it: DPO's sigmoid plus an NLL term on the chosen answers.
    last = train(stage, "dpo", tmp_path, loss_type=["sigmoid", "sft"], loss_weights=[1.0, 0.5])
    assert math.isfinite(last["loss"]) and "rewards/margins" in last


@pytest.mark.parametrize("loss_type", CPO_LOSSES)
def test_each_cpo_loss_type_trains(loss_type, stage, tmp_path):
    # simpo with cpo_alpha 0 is trellis's simpo trainer; alphapo is TRL's alias for it.
    alpha = {"cpo_alpha": 0.0} if loss_type in ("simpo", "alphapo") else {}
    last = train(stage, "cpo", tmp_path, loss_type=loss_type, **alpha)
    assert math.isfinite(last["loss"]) and "rewards/margins" in last
