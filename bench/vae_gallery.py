"""The gallery pictures of ``bench/vae_style.py``: the α strip and the measures against α."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from imgfusion.io.write import atomic_write, write_image
from imgfusion.layout.contact_sheets import contact_sheet
from imgfusion.trained.vae_apply import vae_style

ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)


def alpha_strip(model, frames: list[np.ndarray]) -> np.ndarray:
    """Rows: each frame (the input first), columns: α = 0 ... 1."""
    images, labels = [], []
    for i, frame in enumerate(frames):
        images.append(frame)
        labels.append({"frame": i + 1, "alpha": "input"})
        for a in ALPHAS:
            images.append(vae_style(frame, model, strength=a, measures=False).image)
            labels.append({"frame": i + 1, "alpha": a})
    return contact_sheet(images, labels=labels, rows="frame", cols="alpha", cell=96,
                         font_size=10)


def alpha_plot(rows: list[dict], dest: Path) -> None:
    """The Gram distance (left axis) and the probe (right axis) against α."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    a = [r["alpha"] for r in rows]
    ax.plot(a, [r["gram_output"] for r in rows], "o-", color="tab:orange",
            label="Gram distance to the paintings")
    ax.axhline(rows[0]["gram_input"], color="tab:orange", ls=":", lw=1,
               label="Gram distance of the inputs")
    ax.set_xlabel("strength α")
    ax.set_ylabel("normalised Gram distance")
    right = ax.twinx()
    right.plot(a, [r["probe_output_mean"] for r in rows], "s--", color="tab:blue",
               label="probe P(painting) of outputs")
    right.set_ylim(0, 1)
    right.set_ylabel("probe P(painting)")
    lines = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="center right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    atomic_write(dest, lambda fh: fig.savefig(fh, format="png"), overwrite=True)


def write_gallery(folder: Path, model, rows: list[dict], frames: list[np.ndarray]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_image(folder / "alpha_strip.png", alpha_strip(model, frames), overwrite=True)
    alpha_plot(rows, folder / "alpha_plot.png")
    print(f"  gallery: {folder / 'alpha_strip.png'}, {folder / 'alpha_plot.png'}")
