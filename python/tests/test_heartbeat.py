"""The trainer's heartbeat: it beats from a thread, through long torch calls, and not when silent."""

import time

from trellis_runtime.events import Emitter
from trellis_runtime.heartbeat import HEARTBEAT_CODE, INTERVAL_ENV, interval_seconds, start_heartbeat


def beats(recorder) -> list[float]:
    return [e["time"] for e in recorder.events if e["type"] == "notice" and e["code"] == HEARTBEAT_CODE]


def test_beats_every_interval_until_stopped(recorder):
    stop = start_heartbeat(recorder.emitter, interval=0.05)
    time.sleep(0.5)
    stop.set()
    seen = len(beats(recorder))
    assert seen >= 4
    time.sleep(0.2)
    assert len(beats(recorder)) <= seen + 1  # at most the beat already under way


def test_keeps_beating_while_the_main_thread_is_in_a_long_torch_op(recorder):
    import torch

    stop = start_heartbeat(recorder.emitter, interval=0.1)
    a = torch.randn(1024, 1024)
    began = time.time()
    while time.time() - began < 1.5:  # a "long step": matmuls release the GIL
        a = torch.tanh(a @ a)
    stop.set()
    during = [t for t in beats(recorder) if began <= t <= began + 1.5]
    assert len(during) >= 8, during


def test_a_silent_emitter_starts_nothing():
    assert start_heartbeat(Emitter(None)) is None


def test_the_interval_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(INTERVAL_ENV, "0.5")
    assert interval_seconds() == 0.5
    monkeypatch.setenv(INTERVAL_ENV, "never")
    assert interval_seconds() == 2.0
