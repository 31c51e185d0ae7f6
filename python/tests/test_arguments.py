"""The spec file and TRL arguments as a rendered script reads them (trellis_runtime.arguments)."""

import json

import pytest
from trl import DPOConfig

from trellis_runtime.arguments import load_spec, parse_config


def write_spec(folder, **fields):
    spec = {"stage": {"id": "dpo"}, "from_dir": None, "args": {}, **fields}
    file = folder / "stage-1-dpo.json"
    file.write_text(json.dumps(spec), encoding="utf-8")
    return file


def test_relative_paths_resolve_against_the_spec_folder_and_absolute_ones_stay(tmp_path):
    file = write_spec(
        tmp_path,
        from_dir="../output/sft",
        resume_from_checkpoint="../output/dpo/checkpoint-4",
        args={"output_dir": "output/dpo", "logging_dir": "/abs/logs"},
    )
    spec = load_spec(file)
    assert spec["from_dir"] == str(tmp_path.parent / "output/sft")
    assert spec["resume_from_checkpoint"] == str(tmp_path.parent / "output/dpo/checkpoint-4")
    assert spec["args"]["output_dir"] == str(tmp_path / "output/dpo")
    assert spec["args"]["logging_dir"] == "/abs/logs"


def test_no_argv_gives_the_config_the_args_would(tmp_path):
    args = {"output_dir": str(tmp_path), "learning_rate": 0.003, "beta": 0.2, "max_length": 64, "bf16": False}
    assert parse_config(DPOConfig, args, []).to_dict() == DPOConfig(**args).to_dict()


def test_command_line_values_override_the_spec_and_the_rest_stay(tmp_path):
    args = {"output_dir": str(tmp_path), "learning_rate": 0.003, "beta": 0.2, "bf16": False}
    config = parse_config(DPOConfig, args, ["--learning_rate", "1e-4", "--num_train_epochs", "2"])
    assert (config.learning_rate, config.num_train_epochs, config.beta) == (1e-4, 2, 0.2)


def test_an_unknown_option_exits_with_usage_as_trl_scripts_do(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_config(DPOConfig, {"output_dir": str(tmp_path)}, ["--learnig_rate", "1"])
    assert exit_info.value.code == 2
    assert "--learnig_rate" in capsys.readouterr().err


def test_a_spec_key_the_config_lacks_is_an_error_not_dropped(tmp_path):
    with pytest.raises(TypeError, match="no field 'not_a_field'"):
        parse_config(DPOConfig, {"output_dir": str(tmp_path), "not_a_field": 1}, [])
