"""A stage's spec file and its TRL arguments, read the way TRL's own scripts read theirs.

The spec (stage-<n>-<id>.json) holds every recipe value. Paths inside the rendered folder are
written relative to the script's folder, so the folder can be moved and still runs; they are
made absolute here, against that folder, before anything uses them.

The TRL arguments become the defaults of the config class's command-line parser (TRL's
`TrlParser` does the same with its `--config` file), so `python stage-1-orpo.py
--learning_rate 1e-4 --num_train_epochs 1` overrides those two and `--help` lists them all.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

# The spec's paths that may be relative to the script's folder.
TOP_LEVEL_PATHS = ("from_dir", "resume_from_checkpoint")
ARG_PATHS = ("output_dir", "logging_dir")


def load_spec(file: Path) -> dict[str, Any]:
    """The stage spec with its relative paths resolved against the file's folder."""
    spec = json.loads(file.read_text(encoding="utf-8"))
    here = file.resolve().parent
    for key in TOP_LEVEL_PATHS:
        spec[key] = _absolute(here, spec.get(key))
    args = spec.get("args") or {}
    for key in ARG_PATHS:
        if key in args:
            args[key] = _absolute(here, args[key])
    return spec


def _absolute(here: Path, value: str | None) -> str | None:
    # normpath: "/run/scripts/../output/sft" is shown to people as "/run/output/sft"
    return os.path.normpath(here / value) if isinstance(value, str) and not Path(value).is_absolute() else value


def parse_config(config_class: type, args: dict[str, Any], argv: list[str]) -> Any:
    """`config_class(**args)`, with any `--name value` in argv taking precedence over args.

    Unknown options exit with argparse's usage message (status 2), as TRL's scripts do.
    """
    from transformers import HfArgumentParser

    parser = HfArgumentParser(config_class)
    known = {action.dest for action in parser._actions}
    unknown = sorted(set(args) - known)
    if unknown:  # as config_class(**args) would: a key must never be dropped in silence
        raise TypeError(f"{config_class.__name__} has no field {', '.join(map(repr, unknown))}")
    for action in parser._actions:  # argparse's own list: how TrlParser applies its config file
        if action.dest in args:
            action.default = args[action.dest]
            action.required = False  # output_dir is required in older transformers
    _, unused = parser.parse_known_args(args=argv)
    if unused:  # before the config is built: a typo gets the usage line, not a config error
        parser.error(f"unrecognized arguments: {' '.join(unused)}")
    (config,) = parser.parse_args_into_dataclasses(args=argv)
    return config
