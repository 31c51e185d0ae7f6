"""What a stage has cost so far: wall seconds, device-seconds and tokens trained.

`trellis compare` puts arms side by side on cost, and steps mean different things in each arm
(an ORPO step, an SFT step and a DPO step do different work), so every metrics event carries
this snapshot and the end of training sends a `usage` event with the stage's totals.
Device-seconds are GPU-seconds (wall time x GPUs held) on GPUs and CPU-seconds (user + system
time of this process and its children) on a CPU, times the number of processes.
"""

from __future__ import annotations

import os
import resource
import time
from typing import Any

# Fallback clock origin where /proc is missing: this module loads with the callback, after
# torch, so it misses the import time; /proc gives the real process start.
_LOADED = time.time()


def process_start() -> float:
    """When this process started (epoch seconds), from /proc on Linux."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            # Field 22 (starttime, in clock ticks since boot); the command name may hold spaces.
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return time.time() - uptime + start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return _LOADED


_START = process_start()


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def snapshot(tokens: int, world_size: int, on_gpu: bool) -> dict[str, Any]:
    """{wall_s, cpu_s, device, devices, device_s, tokens} for this stage so far."""
    wall = max(0.0, time.time() - _START)
    cpu = cpu_seconds()
    devices = max(1, world_size)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "device": "gpu" if on_gpu else "cpu",
        "devices": devices,
        "device_s": (wall if on_gpu else cpu) * devices,
        "tokens": tokens * devices,  # rank zero counts its own micro-batches; ranks share the load
    }
