"""The plot of `trellis compare`'s report: each arm's training loss and held-out preference
accuracy against device-seconds, drawn with matplotlib's Agg backend (no display, no browser).

    python plot.py curves.json plot.png

curves.json (written by src/app/compare.ts): {"width": px, "height": px, "dpi": n, "xlabel": str,
"arms": [{"name": str, "loss": [{"stage", "x", "y"}...], "accuracy": [{"stage", "x", "y"}...]}]}.
The image is exactly width x height pixels (no tight bounding box), so a test can check its size.
"""

from __future__ import annotations

import json
import sys
from itertools import groupby
from pathlib import Path


def draw(spec: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dpi = spec["dpi"]
    # One x axis for both: the cost so far, from 0 (imports and loading cost device time too).
    fig, (loss_ax, acc_ax) = plt.subplots(
        1, 2, figsize=(spec["width"] / dpi, spec["height"] / dpi), dpi=dpi, sharex=True
    )
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, arm in enumerate(spec["arms"]):
        colour = colours[i % len(colours)]
        # One line per stage: an SFT loss and a DPO loss are different quantities, not one curve.
        for j, (stage, points) in enumerate(groupby(arm["loss"], key=lambda p: p["stage"])):
            pts = list(points)
            style = "-" if j == 0 else "--"
            loss_ax.plot(
                [p["x"] for p in pts], [p["y"] for p in pts], style, color=colour, label=f"{arm['name']}: {stage}"
            )
        acc = arm["accuracy"]
        acc_ax.plot([p["x"] for p in acc], [p["y"] for p in acc], "o-", color=colour, label=arm["name"])
    acc_ax.axhline(0.5, color="grey", linestyle=":", linewidth=1, label="chance")
    loss_ax.set_title("training loss")
    loss_ax.set_xlabel(spec["xlabel"])
    loss_ax.set_yscale("log")
    acc_ax.set_title("held-out preference accuracy")
    acc_ax.set_xlabel(spec["xlabel"])
    acc_ax.set_ylim(0, 1)
    acc_ax.set_xlim(left=0)
    for ax in (loss_ax, acc_ax):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    fig.tight_layout()  # arranges the axes inside the figure; the figure's size stays as set
    fig.savefig(out, dpi=dpi, format="png")
    plt.close(fig)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: plot.py curves.json plot.png")
    draw(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")), Path(sys.argv[2]))
