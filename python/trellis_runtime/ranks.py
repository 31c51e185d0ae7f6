"""What the processes of a launched stage (torchrun, accelerate) share with each other and with trellis.

- `agree`: rank 0's stop and checkpoint decisions, taken by every rank at the same step, so that
  the ranks save one consistent checkpoint and stop together (never one rank waiting alone in a
  collective for the others).
- `heartbeat`: each rank writes the last step it finished to its own small file under
  TRELLIS_RANKS_DIR; trellis reads them to tell a stalled collective (no rank progressing) from
  a slow step, and to name the ranks, long before NCCL's own timeout.
Without a launcher (one process) every function is a cheap no-op.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

RANKS_DIR_ENV = "TRELLIS_RANKS_DIR"


def world_size() -> int:
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def _initialized() -> bool:
    if world_size() <= 1:
        return False
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized()


def agree(args: Any, save: bool, stop: bool) -> tuple[bool, bool]:
    """Rank 0's (save, stop) on every rank; the flags as given with one process."""
    if not _initialized():
        return save, stop
    import torch
    import torch.distributed as dist

    # On the training device: NCCL reduces CUDA tensors only, gloo CPU ones.
    flags = torch.tensor([int(save), int(stop)], dtype=torch.int32, device=getattr(args, "device", "cpu"))
    dist.broadcast(flags, src=0)
    return bool(flags[0].item()), bool(flags[1].item())


def barrier() -> None:
    if _initialized():
        import torch.distributed as dist

        dist.barrier()


def heartbeat(step: int) -> None:
    """Record this rank's last finished step (atomically; a reader never sees half a file)."""
    folder = os.environ.get(RANKS_DIR_ENV)
    if not folder:
        return
    rank = os.environ.get("RANK", "0")
    info = {
        "rank": int(rank) if rank.isdigit() else rank,
        "local_rank": os.environ.get("LOCAL_RANK"),
        "host": os.uname().nodename,
        "pid": os.getpid(),
        "step": step,
        "time": time.time(),
        # torchrun's folder of this rank's stdout.log and stderr.log: trellis links them per rank.
        "log_dir": os.path.dirname(os.environ.get("TORCHELASTIC_ERROR_FILE", "")) or None,
    }
    try:
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, f"rank-{rank}.json")
        tmp = f"{target}.tmp"
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(info, out)
        os.replace(tmp, target)
    except OSError:
        pass  # a heartbeat must never stop training
