"""What makes a checkpoint trustworthy: a digest of its files, finite weights, and a rotation
that deletes an old checkpoint only once a newer one is whole.

The Trainer rotates (save_total_limit) inside its own save, before any callback runs: the
older checkpoint would be gone before the new one is known to be complete. So trellis takes the
rotation over: `take_over_rotation` keeps the limit and sets the Trainer's to None at the start
of training, and `after_save` rotates once the new checkpoint's digest is written. One place,
in the runtime every rendered script (standalone ones too) already runs, and the rendered args
still show the recipe's limit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from typing import Any

# Written into each checkpoint folder once the Trainer has finished writing it, last and
# atomically: trellis resumes only from checkpoints that have it and whose files match it.
CHECKPOINT_MARKER = "trellis-checkpoint.json"
FORMAT = 2
_CHECKPOINT_DIR = re.compile(r"^checkpoint-(\d+)$")
_CHUNK = 1 << 20
_FINITE_SLICE = 1 << 24  # elements checked at once: a 16 MiB mask


class NonFiniteWeights(RuntimeError):
    """The model holds NaN or infinite weights: training from it would only spread them."""


def keep_private() -> None:
    """Checkpoints and optimizer state are created 0600/0700, whatever umask this Python began with
    (a pre-started Python is spawned before trellis sets the run's umask 077)."""
    os.umask(0o077)


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_marker(folder: str, step: int, finite: bool = True) -> None:
    """Record every file of a finished checkpoint with its size and sha256; written last, atomically."""
    if not os.path.isdir(folder):
        return
    files = {}
    for root, _dirs, names in os.walk(folder):
        for name in sorted(names):
            if name.startswith(CHECKPOINT_MARKER):
                continue
            full = os.path.join(root, name)
            files[os.path.relpath(full, folder)] = {"bytes": os.path.getsize(full), "sha256": sha256_file(full)}
    tmp = os.path.join(folder, CHECKPOINT_MARKER + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump({"format": FORMAT, "step": step, "finite": finite, "files": files}, out)
    os.replace(tmp, os.path.join(folder, CHECKPOINT_MARKER))


def first_non_finite(model: Any) -> str | None:
    """The name of the first floating-point parameter or buffer holding NaN or inf, or None."""
    if model is None:
        return None
    import torch

    tensors = list(model.named_parameters()) + list(model.named_buffers())
    for name, t in tensors:
        if not t.is_floating_point() or not t.numel():
            continue  # quantized (integer) storage, or a shard this rank does not hold
        flat = t.detach().reshape(-1)
        # In slices: a whole-tensor mask of a large embedding would cost as much memory again.
        if not all(bool(torch.isfinite(part).all()) for part in flat.split(_FINITE_SLICE)):
            return name
    return None


def refuse_non_finite(model: Any, step: int) -> None:
    """At the start of training: a model (or a resumed checkpoint, step > 0) with NaN/inf weights is refused."""
    bad = first_non_finite(model)
    if bad is None:
        return
    where = f"the checkpoint resumed at step {step}" if step else "the starting model"
    raise NonFiniteWeights(
        f"{where} has NaN or infinite values in '{bad}': training from it is refused. "
        "Resume from an earlier checkpoint (move the damaged checkpoint folder away) or start from another model."
    )


def take_over_rotation(args: Any) -> int | None:
    """The recipe's save_total_limit, with the Trainer's own rotation turned off (see the module doc)."""
    keep = getattr(args, "save_total_limit", None)
    if keep is not None:
        args.save_total_limit = None
    return keep


def after_save(folder: str, state: Any, model: Any, keep: int | None, emitter: Any) -> bool:
    """Digest the new checkpoint, then rotate the older ones out; False when its weights are not finite."""
    finite = first_non_finite(model) is None
    write_marker(folder, state.global_step, finite=finite)
    if not finite:
        emitter.notice("checkpoint-not-finite", f"{folder} has NaN or infinite weights: older checkpoints are kept")
    elif keep is not None:
        rotate(os.path.dirname(folder), state.global_step, keep, state.best_model_checkpoint)
    return finite


def rotate(output_dir: str, step: int, keep: int, best: str | None) -> list[str]:
    """Delete checkpoints at or before `step` beyond the newest `keep` good ones (marker present,
    weights finite), and the incomplete ones older than those. The best checkpoint stays; folders
    after `step` (from before a resume that fell back past them) are left alone."""
    found = []
    for name in os.listdir(output_dir):
        m = _CHECKPOINT_DIR.match(name)
        if m and int(m.group(1)) <= step:
            found.append((int(m.group(1)), os.path.join(output_dir, name)))
    found.sort(reverse=True)
    good = [(s, p) for s, p in found if _marked_finite(p)]
    kept = good[: max(keep, 1)]
    if not kept:
        return []
    oldest_kept = kept[-1][0]
    keep_paths = {p for _, p in kept}
    if best:
        keep_paths.add(os.path.abspath(best))
        keep_paths.add(best)
    deleted = []
    for s, p in found:
        if s < oldest_kept and p not in keep_paths and os.path.abspath(p) not in keep_paths:
            shutil.rmtree(p, ignore_errors=True)
            deleted.append(p)
    return deleted


def _marked_finite(folder: str) -> bool:
    try:
        with open(os.path.join(folder, CHECKPOINT_MARKER), encoding="utf-8") as f:
            return json.load(f).get("finite", True) is not False
    except (OSError, ValueError):
        return False
