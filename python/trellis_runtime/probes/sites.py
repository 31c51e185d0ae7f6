"""An interpreter's site-packages folders and, unless given ``--no-torch``, the torch it imports.

Never raises: a torch that does not import is an answer (``torchError``), the caller decides.
"""

import json
import os
import sys
import sysconfig


def torch_facts() -> dict:
    try:
        import torch

        return {
            "torch": {
                "version": torch.__version__,
                "cuda": bool(torch.cuda.is_available()),
                "cudaVersion": getattr(torch.version, "cuda", None),
                "site": os.path.dirname(os.path.dirname(os.path.abspath(torch.__file__))),
            }
        }
    except Exception as e:  # a torch that does not import is the answer
        return {"torchError": f"{type(e).__name__}: {e}"}


def facts(with_torch: bool) -> dict:
    paths = sysconfig.get_paths()
    out = {"executable": sys.executable, "sites": [paths["purelib"], paths["platlib"]]}
    if with_torch:
        out.update(torch_facts())
    return out


if __name__ == "__main__":
    print(json.dumps(facts("--no-torch" not in sys.argv[1:])))
