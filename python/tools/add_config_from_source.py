"""Add a trainer's config class to an older release's field table, read from TRL's source.

dump_trl_fields.py needs a real environment of the release (TRL with the transformers of its
day). Where none was at hand (KTOConfig for 0.12, 0.19 and 0.24), the table gets the class from
that release's source, a git checkout of TRL:

    python python/tools/add_config_from_source.py TRL_CHECKOUT v0.24.0 kto trl/trainer/kto_config.py \
        KTOConfig src/core/trl/fields-0.24.json

The inherited TrainingArguments fields are those of the table's DPOConfig less the ones DPOConfig
declares itself (unless SFTConfig and ORPOConfig have them too: then they are TrainingArguments'
or shared by every trainer); the class's own fields (annotation and default) are read from its
source, and override them. Checked on ORPOConfig 0.24 against its real dump: the same names,
kinds and defaults. Defaults that are not literals are kept as their source text.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from typing import Any


def source(checkout: str, tag: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", checkout, "show", f"{tag}:{path}"], capture_output=True, text=True, check=True
    ).stdout


def own_fields(text: str, cls: str) -> dict[str, dict[str, Any]]:
    tree = ast.parse(text)
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
    out: dict[str, dict[str, Any]] = {}
    for item in node.body:
        if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
            continue
        name = item.target.id
        if name.startswith("_"):
            continue
        out[name] = {"kinds": kinds(item.annotation), "default": default(item.value)}
    return out


def default(value: ast.expr | None) -> Any:
    if value is None:
        return None
    if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "field":
        for kw in value.keywords:
            if kw.arg == "default":
                return literal(kw.value)
            if kw.arg == "default_factory":
                return literal(kw.value.body) if isinstance(kw.value, ast.Lambda) else None
        return None
    return literal(value)


def literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


def kinds(ann: ast.expr) -> list[str]:
    """The JSON kinds of an annotation, as dump_trl_fields.kinds gives them."""
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
        return kinds(ast.parse(ann.value, mode="eval").body)
    if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
        return merge(kinds(ann.left), kinds(ann.right))
    if isinstance(ann, ast.Subscript):
        base = ast.unparse(ann.value).split(".")[-1]
        args = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        if base == "Optional":
            return merge(kinds(args[0]), ["null"])
        if base == "Union":
            out: list[str] = []
            for a in args:
                out = merge(out, kinds(a))
            return out
        if base == "Literal":
            return (
                ["string"] if all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args) else ["any"]
            )
        if base in ("list", "List", "tuple", "Tuple"):
            return ["array"]
        if base in ("dict", "Dict"):
            return ["object"]
        return ["any"]
    name = ast.unparse(ann).split(".")[-1]
    return {
        "None": ["null"],
        "bool": ["boolean"],
        "int": ["integer"],
        "float": ["number"],
        "str": ["string"],
        "list": ["array"],
        "tuple": ["array"],
        "dict": ["object"],
    }.get(name, ["any"])


def merge(a: list[str], b: list[str]) -> list[str]:
    return a + [k for k in b if k not in a]


def main() -> None:
    checkout, tag, trainer, path, cls, table_file = sys.argv[1:7]
    with open(table_file, encoding="utf-8") as f:
        table = json.load(f)
    dpo_own = own_fields(source(checkout, tag, "trl/trainer/dpo_config.py"), "DPOConfig")
    sft, orpo = table["classes"]["sft"]["fields"], table["classes"]["orpo"]["fields"]
    # A field DPOConfig declares is TrainingArguments' (redeclared with another default) only if
    # SFTConfig and ORPOConfig have it too; it then takes SFTConfig's view of it.
    shared = lambda n: n in sft and n in orpo  # noqa: E731
    base = {
        n: sft[n] if n in dpo_own else f
        for n, f in table["classes"]["dpo"]["fields"].items()
        if n not in dpo_own or shared(n)
    }
    fields = {**base, **own_fields(source(checkout, tag, path), cls)}
    table["classes"][trainer] = {"class": cls, "fields": dict(sorted(fields.items()))}
    with open(table_file, "w", encoding="utf-8") as f:
        json.dump(table, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
