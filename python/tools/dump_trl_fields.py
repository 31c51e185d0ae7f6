"""Write the fields of TRL's SFT, DPO, ORPO, KTO and CPO config classes as JSON.

trellis validates a recipe's `args` against this file before any Python starts, so the
file must be regenerated whenever the pinned TRL changes:

    python python/tools/dump_trl_fields.py > src/core/trl/fields-<trl major.minor>.json

Run with the python of an environment of an older TRL (with the transformers of its day), it
writes that release's table: trellis keeps one per release line it checks recipes against
(src/core/trl/fields.ts lists them).
"""

import dataclasses
import json
import os
import re
import sys
import types
import typing

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

import trl  # noqa: E402
from trl import DPOConfig, SFTConfig  # noqa: E402

try:
    from trl.experimental.orpo import ORPOConfig  # noqa: E402  (TRL 0.26 and later)
except ImportError:
    from trl import ORPOConfig  # type: ignore[no-redef]  # noqa: E402
try:
    from trl.experimental.cpo import CPOConfig  # noqa: E402  (TRL 0.26 and later, as ORPO)
except ImportError:
    from trl import CPOConfig  # type: ignore[no-redef]  # noqa: E402

try:
    from trl import KTOConfig  # noqa: E402  (stable again from TRL 1.8; before 0.26 too)
except ImportError:
    from trl.experimental.kto import KTOConfig  # type: ignore[no-redef]  # noqa: E402

# simpo is a preset of CPOConfig (src/core/trl/fields.ts reads cpo's table for it).
CLASSES = {"sft": SFTConfig, "dpo": DPOConfig, "orpo": ORPOConfig, "kto": KTOConfig, "cpo": CPOConfig}


def kinds(tp: object) -> list[str]:
    """Reduce a type annotation to the JSON kinds a YAML value may take."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        out: list[str] = []
        for arg in typing.get_args(tp):
            for k in kinds(arg):
                if k not in out:
                    out.append(k)
        return out
    if origin is typing.Literal:
        return ["string"] if all(isinstance(a, str) for a in typing.get_args(tp)) else ["any"]
    if tp is type(None):
        return ["null"]
    if tp is bool:
        return ["boolean"]
    if tp is int:
        return ["integer"]
    if tp is float:
        return ["number"]
    if tp is str:
        return ["string"]
    if origin in (list, tuple) or tp in (list, tuple):
        return ["array"]
    if origin is dict or tp is dict:
        return ["object"]
    if isinstance(tp, type) and issubclass(tp, str):  # str-valued enums (IntervalStrategy...)
        return ["string"]
    return ["any"]


def default_of(field: dataclasses.Field) -> object:
    if field.default is not dataclasses.MISSING:
        value = field.default
    elif field.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        value = field.default_factory()  # type: ignore[misc]
    else:
        return None
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def loss_types(field: dataclasses.Field) -> list[str]:
    """The loss types a config accepts: its `choices` (CPOConfig), else the values its help lists
    (DPOConfig: "Possible values are: `'sigmoid'`, `'hinge'`, ..."; a list field has no choices)."""
    meta = field.metadata or {}
    if meta.get("choices"):
        return [str(c) for c in meta["choices"]]
    listed = str(meta.get("help", "")).split("Possible values are:", 1)
    return re.findall(r"`'([a-z0-9_]+)'`", listed[1].split(". ", 1)[0]) if len(listed) == 2 else []


def main() -> None:
    out: dict[str, object] = {"trl": trl.__version__, "classes": {}}
    for trainer, cls in CLASSES.items():
        hints = typing.get_type_hints(cls)
        fields = {}
        for f in dataclasses.fields(cls):
            if not f.init or f.name.startswith("_"):
                continue
            fields[f.name] = {"kinds": kinds(hints.get(f.name, object)), "default": default_of(f)}
            if f.name == "loss_type" and (values := loss_types(f)):
                fields[f.name]["values"] = values
        out["classes"][trainer] = {"class": cls.__name__, "fields": fields}  # type: ignore[index]
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
