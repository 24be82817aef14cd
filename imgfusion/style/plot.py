"""Loss-curve PNGs drawn with matplotlib's Agg: an optimisation's losses against iteration
(:func:`plot_loss_history`) and a training run's losses, validation included, against step
(:func:`plot_training_history`)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from ..paths import atomic_write

LOSS_STYLES = {"content": "tab:blue", "style": "tab:orange", "tv": "tab:green", "total": "black"}


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _finish(fig, ax, xlabel: str, ylabel: str, log: bool, path) -> Path:
    """Axes labelled, legend, written atomically to ``path`` (its folder made by atomic_write,
    once the path is known to be allowed)."""
    from matplotlib.ticker import MaxNLocator

    if log:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    atomic_write(path, lambda fh: fig.savefig(fh, format="png"), overwrite=True)
    return path


def plot_loss_history(history: Sequence[dict], path: str | os.PathLike) -> Path:
    """Write the loss curves of ``history`` (dicts with iteration and the losses) to ``path``.

    Weighted losses on a log scale; pyramid levels are marked by vertical lines.
    Returns the path written.
    """
    fig, ax = _figure()
    its = [h["iteration"] for h in history]
    for name, colour in LOSS_STYLES.items():
        values = [h[name] for h in history]
        if any(v > 0 for v in values):
            ax.plot(its, values, label=name, color=colour, lw=1.2)
    for prev, cur in zip(history, history[1:]):
        if cur.get("level", 0) != prev.get("level", 0):
            ax.axvline(cur["iteration"], color="grey", lw=0.8, ls="--")
    log = any(h["total"] > 0 for h in history)
    return _finish(fig, ax, "iteration", "weighted loss", log, path)


def _names(rows: Sequence[dict]) -> list[str]:
    return list(dict.fromkeys(k for r in rows for k in r if k != "step"))


def plot_training_history(history: Sequence[dict], validation: Sequence[dict],
                          path: str | os.PathLike) -> Path:
    """Training losses per step (thin lines) and validation losses (dashed, with markers):
    ``history`` and ``validation`` are dicts with ``step`` and loss values; losses that are 0
    throughout are left out.  Log scale when every value shown is positive.  Returns the path
    written."""
    fig, ax = _figure()
    colours = dict(LOSS_STYLES)
    values = []
    for rows, style in ((history, {"lw": 1.0}), (validation, {"lw": 1.2, "ls": "--",
                                                               "marker": "o", "ms": 3})):
        for name in _names(rows):
            xs = [r["step"] for r in rows if name in r]
            ys = [float(r[name]) for r in rows if name in r]
            if not any(ys):   # a loss with weight 0 (tv by default) is left out
                continue
            values += ys
            colour = colours.setdefault(name, f"C{len(colours) % 10}")
            label = name if rows is history else f"validation {name}"
            ax.plot(xs, ys, label=label, color=colour, **style)
    log = bool(values) and all(v > 0 for v in values)
    return _finish(fig, ax, "step", "loss", log, path)
