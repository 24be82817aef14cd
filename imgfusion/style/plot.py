"""Loss-curve PNG (content, style, tv, total against iteration), drawn with matplotlib's Agg."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from ..io.write import atomic_write

LOSS_STYLES = {"content": "tab:blue", "style": "tab:orange", "tv": "tab:green", "total": "black"}


def plot_loss_history(history: Sequence[dict], path: str | os.PathLike) -> Path:
    """Write the loss curves of ``history`` (dicts with iteration and the losses) to ``path``.

    Weighted losses on a log scale; pyramid levels are marked by vertical lines.
    Returns the path written.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    path = Path(path)  # atomic_write makes the folder, once the path is known to be allowed
    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    its = [h["iteration"] for h in history]
    for name, colour in LOSS_STYLES.items():
        values = [h[name] for h in history]
        if any(v > 0 for v in values):
            ax.plot(its, values, label=name, color=colour, lw=1.2)
    for prev, cur in zip(history, history[1:]):
        if cur.get("level", 0) != prev.get("level", 0):
            ax.axvline(cur["iteration"], color="grey", lw=0.8, ls="--")
    if any(h["total"] > 0 for h in history):
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("iteration")
    ax.set_ylabel("weighted loss")
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    atomic_write(path, lambda fh: fig.savefig(fh, format="png"), overwrite=True)
    return path
