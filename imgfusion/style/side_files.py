"""The style optimisation's side files: snapshots, loss history, loss plot, rescue images.

Every one goes through :func:`~imgfusion.io.write.atomic_write`, so while a
recipe runs it must land inside the output folder, may not replace a recipe input
or run.json, and is recorded in run.json's list of files written.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..paths import atomic_write
from ..io.write import write_image
from ..paths import in_output_folder as resolve
from .plot import plot_loss_history


def write_png(path: Path, image: np.ndarray) -> None:
    write_image(path, image, overwrite=True)


def write_history(path: Path, history: list[dict]) -> None:
    text = json.dumps(history, indent=0)
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), overwrite=True)


def save_rescue(snap_dir, workdir, name, image, history, loss_plot) -> None:
    """After a NaN or an interrupt: keep the image and the history written so far."""
    folder = snap_dir if snap_dir is not None else (Path(workdir) if workdir is not None else None)
    plot = resolve(loss_plot, workdir)
    writes = []
    if folder is not None:
        writes += [lambda: write_png(folder / f"{name}.png", image),
                   lambda: write_history(folder / "loss_history.json", history)]
    if plot is not None and history:
        writes.append(lambda: plot_loss_history(history, plot))
    for write in writes:  # a refused side file (an input's name, say) must not hide the error
        try:
            write()
        except ParameterError as exc:
            warnings.warn(f"{name}: side file not written: {exc}", stacklevel=2)


class SideFiles:
    """Where one style run writes besides its result, and the writing: snapshots every
    ``snapshot_every`` iterations, the loss plot at the end, and after a NaN loss or an
    interrupt the image reached and the history."""

    def __init__(self, snapshot_every: int, snapshot_dir, loss_plot, workdir):
        snap_dir = resolve(snapshot_dir, workdir)
        if snapshot_every and snap_dir is None:
            if workdir is None:
                raise ParameterError("snapshot_dir", "snapshot_every needs a snapshot_dir")
            snap_dir = Path(workdir) / "snapshots"
        self.snap_dir, self.loss_plot, self.workdir = snap_dir, loss_plot, workdir

    def snapshot(self, k: int, image, history: list[dict]) -> None:
        """``image`` is a callable giving the image, called only when snapshots are kept."""
        if self.snap_dir is not None:
            write_png(self.snap_dir / f"iter_{k:05d}.png", image())
            write_history(self.snap_dir / "loss_history.json", history)

    def rescue(self, name: str, image, history: list[dict]) -> None:
        save_rescue(self.snap_dir, self.workdir, name, image, history, self.loss_plot)

    def plot(self, history: list[dict]) -> None:
        plot = resolve(self.loss_plot, self.workdir)
        if plot is not None:
            plot_loss_history(history, plot)
