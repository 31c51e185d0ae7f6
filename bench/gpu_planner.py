"""GPU benchmark for a lent GPU machine: the published micro-batch 2 x 4 configuration (TRL's
default gradient checkpointing) against the batch the planner picks, same model, same effective
batch, same card, in one call.

Model and data as the H100 table of docs/design/TRL_FACTS.md was measured with: a
Qwen2-0.5B-shaped model with random weights, synthetic pairs of prompt 128 + completion 256
tokens, bf16. The planner's search runs here in Python, rule for rule as src/core/plan/search.ts
(the device has no Node): divisors of the per-process batch from the largest down, checkpointing
off before on (a costlier mode only on sizes larger than every size accepted so far), for DPO
precomputed reference log-probs where that makes a size fit, each probe a fresh process running
3 optimizer steps, accepted only under a 10% memory margin, the fastest accepted one wins. Then
both configurations are measured for STEPS steps, each in a fresh process, and tokens/s is real
(non-padding) tokens counted by trellis_runtime.perf, MFU by its peak table.

    python3 bench/gpu_planner.py dpo orpo          # on the GPU machine (see bench/README.md)
    SMALL=1 python3 bench/gpu_planner.py orpo      # CPU smoke test: tiny model, few steps

Writes $OUT/gpu-planner.json (default bench/results/gpu-planner.json).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))  # trellis_runtime: perf, callback

SMALL = os.environ.get("SMALL") == "1"
VOCAB = 512 if SMALL else 32000
P_LEN, C_LEN = (8, 8) if SMALL else (128, 256)
EFFECTIVE = 8  # the published 2 x 4
STEPS = int(os.environ.get("STEPS", 4 if SMALL else 30))
WARM = 1 if SMALL else 5
PROBE_STEPS = 3
MARGIN = 0.10
WORK = Path(os.environ.get("WORK", "/tmp/gpu-planner"))


def build(model_dir: Path) -> None:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    specials = ["<unk>", "<s>", "</s>", "<pad>"]
    vocab = {t: i for i, t in enumerate(specials)}
    for i in range(VOCAB - len(specials)):
        vocab[f"w{i}"] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    ).save_pretrained(model_dir)
    if SMALL:
        cfg = Qwen2Config(
            vocab_size=VOCAB,
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
        )
    else:
        cfg = Qwen2Config(
            vocab_size=VOCAB,
            hidden_size=896,
            intermediate_size=4864,
            num_hidden_layers=24,
            num_attention_heads=14,
            num_key_value_heads=2,
            max_position_embeddings=4096,
            tie_word_embeddings=True,
        )
    cfg.bos_token_id, cfg.eos_token_id, cfg.pad_token_id = 1, 2, 3
    torch.manual_seed(0)
    Qwen2ForCausalLM(cfg).save_pretrained(model_dir)


def rows(n: int) -> list[dict[str, str]]:
    random.seed(0)
    words = lambda k: " ".join(f"w{random.randint(0, VOCAB - 5)}" for _ in range(k))  # noqa: E731
    return [
        {"prompt": words(P_LEN), "chosen": " " + words(C_LEN - 1), "rejected": " " + words(C_LEN - 1)} for _ in range(n)
    ]


def worker(kind: str, mb: int, ga: int, gc: bool, precompute: bool, steps: int) -> None:
    """One fresh process: train `steps` optimizer steps, print one JSON line."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback

    from trellis_runtime import perf
    from trellis_runtime.callback import Meter

    cuda = torch.cuda.is_available()
    model_dir = WORK / "model"
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16 if cuda else torch.float32)
    common = dict(
        output_dir=str(WORK / f"out-{kind}"),
        per_device_train_batch_size=mb,
        gradient_accumulation_steps=ga,
        gradient_checkpointing=gc,
        max_steps=steps,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        bf16=cuda,
        use_cpu=not cuda,
        learning_rate=5e-6,
        dataloader_num_workers=0,
        disable_tqdm=True,
        max_length=P_LEN + C_LEN + 8,
    )
    ds = Dataset.from_list(rows(max(64, mb * ga * steps)))
    meter = Meter()
    warm = min(WARM, steps - 1)
    marks: dict[str, float] = {}

    class Clock(TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, **kw):
            meter.begin(args, model)

        def on_step_end(self, args, state, control, **kw):
            if cuda:
                torch.cuda.synchronize()
            meter.step_done()
            if state.global_step == warm:
                marks["t0"], marks["tok0"] = time.perf_counter(), meter.window.tokens
            if state.global_step == steps:
                marks["t1"], marks["tok1"] = time.perf_counter(), meter.window.tokens

        def on_log(self, args, state, control, **kw):
            pass  # the window keeps counting: tokens between the marks are what is measured

    if kind == "dpo":
        from trl import DPOConfig, DPOTrainer

        trainer = DPOTrainer(
            model=model,
            args=DPOConfig(beta=0.1, precompute_ref_log_probs=precompute, **common),
            train_dataset=ds,
            processing_class=tok,
            callbacks=[Clock()],
        )
    else:
        os.environ["TRL_EXPERIMENTAL_SILENCE"] = "1"
        from trl.experimental.orpo import ORPOConfig, ORPOTrainer

        trainer = ORPOTrainer(
            model=model,
            args=ORPOConfig(beta=0.1, **common),
            train_dataset=ds,
            processing_class=tok,
            callbacks=[Clock()],
        )
    meter.watch(trainer)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    try:
        trainer.train()
    except torch.OutOfMemoryError as e:
        print(json.dumps({"kind": "oom", "message": str(e)[:300]}), flush=True)
        return
    dt = marks["t1"] - marks["t0"]
    tps = (marks["tok1"] - marks["tok0"]) / dt
    print(
        json.dumps(
            {
                "kind": "ok",
                "tokens_per_s": tps,
                "peak_bytes": torch.cuda.max_memory_reserved() if cuda else 0,
                "capacity_bytes": torch.cuda.get_device_properties(0).total_memory if cuda else 1 << 60,
                "mfu": perf.mfu(tps, meter.fpt or 0, meter.peak),
                "s_per_step": dt / (steps - warm),
                "device": meter.device_name or "cpu",
            }
        ),
        flush=True,
    )


def launch(kind: str, mb: int, ga: int, gc: bool, precompute: bool, steps: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, str(mb), str(ga), str(int(gc)), str(int(precompute)), str(steps)]
    env = {**os.environ, "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True"}
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    tail = (p.stderr or "").strip().splitlines()[-3:]
    oom = any("out of memory" in t.lower() for t in tail)
    return {"kind": "oom" if oom else "error", "message": " | ".join(tail)[:500]}


def plan(kind: str, log: list) -> dict | None:
    """The planner's search (src/core/plan/search.ts) with real probes."""
    sizes = [d for d in range(EFFECTIVE, 0, -1) if EFFECTIVE % d == 0]
    modes = (
        [(False, False)]
        + ([(False, True)] if kind == "dpo" else [])
        + [(True, False)]
        + ([(True, True)] if kind == "dpo" else [])
    )
    accepted, largest = [], 0
    for gc, pre in modes:
        if largest == EFFECTIVE:
            break
        for mb in [s for s in sizes if s > largest]:
            r = launch(kind, mb, EFFECTIVE // mb, gc, pre, PROBE_STEPS)
            row = {"micro_batch": mb, "accumulation": EFFECTIVE // mb, "checkpointing": gc, "precompute": pre, **r}
            if r["kind"] == "error":
                row["outcome"] = "error"
                log.append(row)
                raise RuntimeError(f"probe failed: {r['message']}")
            if r["kind"] == "oom":
                row["outcome"] = "oom"
            elif r["peak_bytes"] > r["capacity_bytes"] * (1 - MARGIN):
                row["outcome"] = "over_margin"
            else:
                row["outcome"] = "accepted"
            log.append(row)
            print(json.dumps({"probe": kind, **row}), flush=True)
            if row["outcome"] == "accepted":
                accepted.append(row)
                largest = max(largest, mb)
                break
    return max(accepted, key=lambda r: r["tokens_per_s"]) if accepted else None


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        kind, mb, ga, gc, pre, steps = sys.argv[2:8]
        worker(kind, int(mb), int(ga), gc == "1", pre == "1", int(steps))
        return
    import torch
    import transformers
    import trl

    WORK.mkdir(parents=True, exist_ok=True)
    build(WORK / "model")
    out = Path(os.environ.get("OUT") or HERE / "results")
    out.mkdir(parents=True, exist_ok=True)
    result = {
        "card": torch.cuda.get_device_name(0)
        if torch.cuda.is_available()
        else "cpu (smoke test: not a GPU measurement)",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "trl": trl.__version__},
        "small": SMALL,
        "effective_batch": EFFECTIVE,
        "steps": STEPS,
        "trainers": {},
    }
    for kind in sys.argv[1:] or ["dpo", "orpo"]:
        t0 = time.time()
        probes: list = []
        entry: dict = {"probes": probes}
        result["trainers"][kind] = entry
        try:
            chosen = plan(kind, probes)
            entry["planned"] = chosen and {
                k: chosen[k] for k in ("micro_batch", "accumulation", "checkpointing", "precompute")
            }
            # Published first, then planned, each a fresh process for STEPS steps.
            entry["published"] = launch(kind, 2, 4, True, False, STEPS)
            if chosen:
                entry["planned_run"] = launch(
                    kind,
                    chosen["micro_batch"],
                    chosen["accumulation"],
                    chosen["checkpointing"],
                    chosen["precompute"],
                    STEPS,
                )
                a, b = entry["published"], entry["planned_run"]
                if a.get("kind") == "ok" and b.get("kind") == "ok":
                    entry["speedup"] = b["tokens_per_s"] / a["tokens_per_s"]
        except Exception as e:  # keep the other trainer's figures
            entry["error"] = repr(e)[:500]
        entry["wall_s"] = time.time() - t0
        print(json.dumps({"trainer": kind, **{k: v for k, v in entry.items() if k != "probes"}}), flush=True)
        (out / "gpu-planner.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
