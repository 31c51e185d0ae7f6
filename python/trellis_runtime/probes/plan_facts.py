"""What the batch planner needs of this machine: the GPU, its memory, the model's shape.

argv[1] is the model's name ('' for none), argv[2] "1" to trust its remote code. The model is
built on the meta device: its shape without its weights. Runs in the managed venv (torch,
transformers and TRL are there).
"""

import json
import sys


def model_shape(name: str, trust_remote_code: bool) -> dict:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    cfg = AutoConfig.from_pretrained(name, trust_remote_code=trust_remote_code)
    with torch.device("meta"):
        m = AutoModelForCausalLM.from_config(cfg)
    text = cfg.get_text_config() if hasattr(cfg, "get_text_config") else cfg
    return {
        "params": sum(t.numel() for t in m.parameters()),
        "layers": text.num_hidden_layers,
        "hidden": text.hidden_size,
        "vocab": text.vocab_size,
    }


def facts(name: str, trust_remote_code: bool) -> dict:
    import torch

    out = {"cuda": False, "torch": torch.__version__}
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        out.update(cuda=True, name=p.name, memory=p.total_memory, count=torch.cuda.device_count())
        if name:
            out["shape"] = model_shape(name, trust_remote_code)
    import transformers
    import trl

    out["trl"] = trl.__version__
    out["transformers"] = transformers.__version__
    return out


if __name__ == "__main__":
    print(json.dumps(facts(sys.argv[1], sys.argv[2] == "1")))
