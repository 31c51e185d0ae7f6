"""Installed versions of the packages named (a JSON list in argv[1]), from package metadata.

With ``--torch`` it also imports torch and says what it sees (its version, CUDA, the GPUs):
``trellis env doctor`` asks that of the managed venv. Without it nothing is imported, as a
user's environment given with ``--env`` is read before any stage runs, and importing torch
takes seconds.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import sys


def version(name: str) -> str | None:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def torch_facts() -> dict:
    out = {"cuda": False, "gpus": []}
    try:
        import torch

        cuda = bool(torch.cuda.is_available())
        gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else []
        out = {"version": torch.__version__, "cuda": cuda, "cudaVersion": torch.version.cuda, "gpus": gpus}
    except Exception as e:  # a torch that does not import is the answer
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def facts(names: list, with_torch: bool) -> dict:
    out = {
        "prefix": sys.prefix,
        "version": sys.version.split()[0],
        "packages": {n: version(n) for n in names},
    }
    if with_torch:
        out["torch"] = torch_facts()
    return out


if __name__ == "__main__":
    print(json.dumps(facts(json.loads(sys.argv[1]), "--torch" in sys.argv[2:])))
