"""The throughput and MFU arithmetic against cases worked out by hand."""

from types import SimpleNamespace

import pytest

from trellis_runtime import perf
from trellis_runtime.perf import FlopsModel, Window, count_batch, flops_per_token, mfu, peak_tflops


class Mask:
    """Just enough of a tensor: shape, sum(), and == for position ids."""

    def __init__(self, rows):
        self.rows = rows
        self.shape = (len(rows), len(rows[0]))

    def sum(self):
        return sum(sum(r) for r in self.rows)

    def __eq__(self, other):
        return Mask([[1 if v == other else 0 for v in r] for r in self.rows])


N = 387_000_000  # the Qwen2-0.5B shape of the H100 table in docs/design/TRL_FACTS.md


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (FlopsModel(N, N, lora=False, reference_forward=False), 6 * N),  # SFT, ORPO
        (FlopsModel(N, N, lora=False, reference_forward=True), 8 * N),  # DPO: + reference forward 2N
        # LoRA with 4.4M adapter parameters: 4N (forward + activation grads) + 6 * 4.4M
        (FlopsModel(N, 4_400_000, lora=True, reference_forward=False), 4 * N + 26_400_000),
        # DPO + LoRA: the reference is the policy with its adapter off: + 2N
        (FlopsModel(N, 4_400_000, lora=True, reference_forward=True), 6 * N + 26_400_000),
    ],
)
def test_flops_per_token(model, expected):
    assert flops_per_token(model) == expected


def test_mfu_of_the_h100_table():
    # ORPO 8x1 without checkpointing: 57,169 tokens/s x 6 x 387M = 132.7 TFLOP/s of 989: 13.4%
    value = mfu(57_169, 6 * N, 989.0)
    assert value == pytest.approx(57_169 * 6 * 387e6 / 989e12)
    assert round(value, 3) == 0.134
    # DPO 2x4 with checkpointing: 5,818 x 8 x 387M = 18.0 TFLOP/s: 1.8%
    assert round(mfu(5_818, 8 * N, 989.0), 4) == 0.0182
    # two GPUs: the same total rate is half the utilisation
    assert mfu(1e4, 6 * N, 989.0, world_size=2) == pytest.approx(mfu(1e4, 6 * N, 989.0) / 2)


def test_mfu_unknown_without_a_peak():
    assert mfu(1e4, 6 * N, None) is None


@pytest.mark.parametrize(
    ("name", "tflops"),
    [
        ("NVIDIA H100 80GB HBM3", 989.0),
        ("NVIDIA H100 PCIe", 756.0),
        ("NVIDIA H200", 989.0),
        ("NVIDIA A100-SXM4-80GB", 312.0),
        ("NVIDIA A100 80GB PCIe", 312.0),
        ("NVIDIA L40S", 362.0),
        ("NVIDIA L4", 121.0),
        ("NVIDIA A10G", 70.0),
        ("NVIDIA A10", 125.0),
        ("NVIDIA GeForce RTX 4090", 165.2),
        ("NVIDIA GeForce RTX 3090", 71.0),
        ("Tesla T4", None),
        (None, None),
    ],
)
def test_peak_table(name, tflops):
    assert peak_tflops(name, env={}) == tflops


def test_peak_override():
    assert peak_tflops("Some Future GPU", env={perf.PEAK_ENV: "1234"}) == 1234.0


def test_count_dpo_rows_are_chosen_then_rejected():
    # 2 pairs -> 4 rows of 5 positions; 13 real tokens
    mask = Mask([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [1, 0, 0, 0, 0]])
    assert count_batch({"input_ids": mask, "attention_mask": mask}, paired_rows=True) == perf.BatchCount(13, 7, 2)


def test_count_orpo_pads_both_to_the_longer():
    chosen = Mask([[1, 1, 1, 1], [1, 1, 0, 0]])  # 6 real, length 4
    rejected = Mask([[1, 1, 1], [1, 1, 1]])  # 6 real, length 3, padded to 4 in the forward pass
    counted = count_batch(
        {"chosen_attention_mask": chosen, "rejected_attention_mask": rejected, "prompt_attention_mask": chosen}
    )
    assert counted == perf.BatchCount(12, 2 * 2 * 4 - 12, 2)


def test_count_sft_and_padding_free():
    mask = Mask([[1, 1, 0], [1, 1, 1]])
    assert count_batch({"input_ids": mask, "attention_mask": mask}) == perf.BatchCount(5, 1, 2)
    positions = Mask([[0, 1, 2, 0, 1, 0]])
    assert count_batch({"input_ids": positions, "position_ids": positions}) == perf.BatchCount(6, 0, 3)
    assert count_batch({"pixel_values": mask}) is None


def test_throughput_of_a_window():
    w = Window(tokens=9_000, padding=1_000, samples=40, seconds=2.0)
    rates = perf.throughput(w, world_size=2, fpt=6 * N, peak=989.0)
    assert rates["tokens_per_s"] == 9_000  # 9,000 tokens on rank 0 x 2 ranks / 2 s
    assert rates["padding_per_s"] == 1_000
    assert rates["samples_per_s"] == 40
    assert rates["padding_fraction"] == 0.1
    assert rates["mfu"] == pytest.approx(9_000 * 6 * N / (989e12 * 2))
    assert perf.throughput(Window(), 1, 6 * N, 989.0) is None


def test_meter_counts_micro_batches_and_leaves_pauses_out(monkeypatch):
    from trellis_runtime.callback import Meter

    clock = iter([0.0, 0.0, 1.0, 5.0, 6.0])
    monkeypatch.setattr("trellis_runtime.callback.time.monotonic", lambda: next(clock))
    meter = Meter()  # 0.0
    trainer = SimpleNamespace(training_step=lambda model, inputs, n=None: 0.5)
    meter.watch(trainer)
    meter.begin(SimpleNamespace(world_size=1, device="cpu"), None)  # mark 0.0
    mask = Mask([[1, 1, 0]])
    trainer.training_step(None, {"attention_mask": mask})
    trainer.training_step(None, {"attention_mask": mask})  # two micro-batches, one step
    meter.step_done()  # 1.0: one second of training
    meter.pause_ended()  # 5.0: an evaluation took four seconds
    meter.step_done()  # 6.0: one more second
    rates = meter.take()
    assert rates["tokens_per_s"] == 2.0 and rates["seconds"] == 2.0 and rates["mfu"] is None


def test_count_a_packed_batch_has_no_padding_computed():
    # padding_free.py packs the padded batch before the model sees it: the real tokens only
    mask = Mask([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [1, 0, 0, 0, 0]])
    counted = count_batch({"input_ids": mask, "attention_mask": mask}, paired_rows=True, packed=True)
    assert counted == perf.BatchCount(13, 0, 2)
