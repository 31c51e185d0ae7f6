"""A stand-in trainer for the event-stream benchmark: the real trellis emitter, no training.

BENCH_EVENTS events of the `metrics` shape TRL logs, as fast as possible, or BENCH_RATE per
second when set. Each carries the send time, so the receiver can measure latency.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from trellis_runtime.events import Emitter

count = int(os.environ.get("BENCH_EVENTS", "100000"))
rate = float(os.environ.get("BENCH_RATE", "0"))
emit = Emitter.from_env(stage="bench")
metrics = {"loss": 0.6931, "grad_norm": 1.5, "learning_rate": 5e-6, "rewards/accuracies": 0.5, "rewards/margins": 0.01}
start = time.perf_counter()
for step in range(1, count + 1):
    emit.emit("metrics", step=step, max_steps=count, epoch=step / count, metrics=metrics)
    if rate:
        delay = start + step / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
