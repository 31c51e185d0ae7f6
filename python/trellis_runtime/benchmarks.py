"""Benchmarks through EleutherAI's lm-evaluation-harness (the `lm-eval` extra), JSON in and out.

    python -m trellis_runtime.benchmarks --input request.json   (or the request on stdin)

The request lists the models to score (each a folder or Hub name, `{"tiny": {...}}` for a tiny
model, and an optional PEFT adapter folder on top) and the tasks: Hub task names the harness
knows (`hellaswag`), or local task YAML files. A local file's relative dataset paths
(dataset_kwargs.data_files, or data_dir) are made absolute against the file's folder, so the same
file works from any working directory and offline. Every model answers every task with the same
settings (few-shot count, limit, seed). The answer on stdout: each model's score on each task,
metric by metric, with the harness's standard error, and the harness version. A failure is one
JSON object {"error": "..."} and exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

DEFAULT_BATCH_SIZE = 8


class BenchmarkError(Exception):
    """A failure the user can act on, said in one message."""


def harness_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("lm_eval")
    except metadata.PackageNotFoundError as err:
        raise BenchmarkError(
            "lm-evaluation-harness is not installed in this environment: benchmarks run in the one with the "
            "lm-eval extra (trellis env setup --extra lm-eval)"
        ) from err


def local_task(path: str) -> dict[str, Any]:
    """A task YAML file as the harness's config dict, its relative data paths made absolute."""
    try:  # lm-eval 0.4.10 and later
        from lm_eval.tasks._yaml_loader import load_yaml as load_yaml_config
    except ImportError:
        from lm_eval.utils import load_yaml_config  # type: ignore[attr-defined,no-redef]

    file = Path(path)
    if not file.is_file():
        raise BenchmarkError(f"{path}: no such task file")
    try:
        config = load_yaml_config(str(file.resolve()))
    except Exception as err:  # the harness's YAML loader raises whatever its parser does
        raise BenchmarkError(f"{path}: not a task file the harness can read: {err}") from err
    if not isinstance(config, dict) or not isinstance(config.get("task"), str):
        raise BenchmarkError(f"{path}: a task file needs 'task: <name>' (the name its scores are reported under)")
    folder = file.resolve().parent
    kwargs = config.get("dataset_kwargs")
    if isinstance(kwargs, dict):
        files = kwargs.get("data_files")
        if isinstance(files, str):
            kwargs["data_files"] = absolute(files, folder, path, "dataset_kwargs.data_files")
        elif isinstance(files, dict):
            kwargs["data_files"] = {
                split: absolute(f, folder, path, f"dataset_kwargs.data_files.{split}") if isinstance(f, str) else f
                for split, f in files.items()
            }
        if isinstance(kwargs.get("data_dir"), str):
            kwargs["data_dir"] = absolute(kwargs["data_dir"], folder, path, "dataset_kwargs.data_dir")
    return config


def absolute(value: str, folder: Path, path: str, field: str) -> str:
    if "://" in value or os.path.isabs(value):
        return value
    full = folder / value
    if not full.exists():
        raise BenchmarkError(f"{path}: {field}: no file {value} beside the task file ({full})")
    return str(full)


def task_name(task: str | dict[str, Any]) -> str:
    return task["task"] if isinstance(task, dict) else task


def model_args(model: dict[str, Any]) -> dict[str, Any]:
    from .models import resolve_model_name

    args: dict[str, Any] = {"pretrained": resolve_model_name(model), "dtype": model.get("dtype") or "float32"}
    if model.get("revision") and not os.path.isdir(args["pretrained"]):
        args["revision"] = model["revision"]
    if model.get("adapter"):
        args["peft"] = model["adapter"]
    if model.get("trust_remote_code"):
        args["trust_remote_code"] = True
    return args


def scores_of(results: dict[str, Any], names: list[str]) -> dict[str, dict[str, Any]]:
    """{task: {metric: {"value", "stderr"}}} from the harness's results ("acc,none", "acc_stderr,none")."""
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        raw = results.get("results", {}).get(name)
        if raw is None:
            raise BenchmarkError(f"task {name}: the harness returned no scores for it")
        metrics: dict[str, Any] = {}
        for key, value in raw.items():
            metric, _, filter_name = key.partition(",")
            if metric.endswith("_stderr") or metric in ("alias", "sample_len") or not isinstance(value, (int, float)):
                continue
            stderr = raw.get(f"{metric}_stderr,{filter_name}")
            label = metric if filter_name in ("", "none") else f"{metric},{filter_name}"
            metrics[label] = {
                "value": float(value),
                "stderr": float(stderr) if isinstance(stderr, (int, float)) else None,
            }
        out[name] = {"metrics": metrics, "samples": (results.get("n-samples", {}).get(name) or {}).get("effective")}
    return out


def run(request: dict[str, Any]) -> dict[str, Any]:
    version = harness_version()
    models = request.get("models")
    tasks_in = request.get("tasks")
    if not isinstance(models, dict) or not models:
        raise BenchmarkError("the request names no models (models: {name: {name | tiny, adapter?}})")
    if not isinstance(tasks_in, list) or not tasks_in:
        raise BenchmarkError("the request names no tasks")
    tasks = [local_task(t["file"]) if isinstance(t, dict) else t for t in tasks_in]
    names = [task_name(t) for t in tasks]

    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    # Hub task names need the harness's index of its own tasks; local dicts do not (it is slow).
    manager = TaskManager() if any(isinstance(t, str) for t in tasks) else None
    if manager is not None:
        unknown = [t for t in tasks if isinstance(t, str) and t not in manager.all_tasks]
        if unknown:
            raise BenchmarkError(
                f"lm-evaluation-harness {version} has no task {', '.join(unknown)} (name a task it lists with "
                "`lm-eval ls tasks`, or a local task YAML file)"
            )
    scores: dict[str, Any] = {}
    for label, model in models.items():
        try:
            lm = HFLM(
                **model_args(model),
                batch_size=int(request.get("batch_size") or DEFAULT_BATCH_SIZE),
                device=request.get("device") or "cpu",
            )
        except (OSError, ValueError) as err:
            raise BenchmarkError(f"model {label}: the harness could not load it: {err}") from err
        try:
            results = simple_evaluate(
                model=lm,
                tasks=tasks,
                num_fewshot=request.get("num_fewshot"),
                limit=request.get("limit"),
                task_manager=manager,
                random_seed=int(request.get("seed", 0)),
                numpy_random_seed=int(request.get("seed", 0)),
                torch_random_seed=int(request.get("seed", 0)),
                fewshot_random_seed=int(request.get("seed", 0)),
                log_samples=False,
                bootstrap_iters=int(request.get("bootstrap_iters", 1000)),
            )
        except (KeyError, ValueError, TypeError, FileNotFoundError) as err:
            # The harness's own words say which field of which task it could not use.
            raise BenchmarkError(f"the harness failed on {', '.join(names)}: {type(err).__name__}: {err}") from err
        scores[label] = scores_of(results or {}, names)
    return {"harness": {"name": "lm-evaluation-harness", "version": version}, "tasks": names, "scores": scores}


def main() -> None:
    parser = argparse.ArgumentParser(description="Run lm-evaluation-harness tasks on models (JSON in, JSON out).")
    parser.add_argument("--input", default=None, help="the request as a JSON file (default: stdin)")
    opts = parser.parse_args()
    try:
        text = Path(opts.input).read_text(encoding="utf-8") if opts.input else sys.stdin.read()
        result = run(json.loads(text))
    except (BenchmarkError, json.JSONDecodeError) as err:
        print(json.dumps({"error": str(err)}))
        sys.exit(1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
