"""A stage's LoRA adapter merged into the model it trained on: a full model plain transformers loads.

The base is rebuilt exactly as the stage loaded it (an earlier stage's adapter merged in, the same
quantisation), then de-quantised for QLoRA, so the merged weights are those the adapter saw.
Run by the rendered script (a stage with `merge: true`) and by `trellis merge`:

    python -m trellis_runtime.merge stage-2-dpo.json [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

MERGED_DIR = "merged"


def merged_dir(spec: dict[str, Any]) -> str:
    return os.path.join(spec["args"]["output_dir"], MERGED_DIR)


def merge_stage(spec: dict[str, Any], out_dir: str | None = None, adapter_dir: str | None = None) -> str:
    """Merge the stage's saved adapter (its output folder) and save the full model and tokenizer."""
    from peft import PeftModel
    from transformers import AutoTokenizer

    from .models import is_adapter_dir, load_model, resolve_model_name
    from .quantization import dequantize

    adapter = adapter_dir or spec["args"]["output_dir"]
    if not is_adapter_dir(adapter):
        raise ValueError(
            f"{adapter} holds no LoRA adapter (no adapter_config.json): "
            "only a stage with a peft block that finished can be merged"
        )
    out = os.path.abspath(out_dir or merged_dir(spec))  # abspath also normalises scripts/../output
    start_from = spec.get("from_dir") or resolve_model_name(spec["model"])
    base = dequantize(load_model(start_from, spec["model"]))
    merged = PeftModel.from_pretrained(base, adapter).merge_and_unload()
    merged.save_pretrained(out)
    AutoTokenizer.from_pretrained(adapter).save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Merge a trellis stage's LoRA adapter into its base model.")
    parser.add_argument("spec", help="the stage's JSON spec (scripts/stage-N-<id>.json)")
    parser.add_argument("--out", help="where the merged model goes (default: <stage output>/merged)")
    options = parser.parse_args(argv)
    from . import environment
    from .arguments import load_spec

    spec = load_spec(Path(options.spec))  # its paths are relative to the scripts folder

    environment.prepare(spec)
    out = merge_stage(spec, options.out)
    print(json.dumps({"merged": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
