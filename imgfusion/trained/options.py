"""The shared training loop's options (:func:`imgfusion.trained.training.train`), one
option group every trainer takes (``training: Training = Training(steps=2000)``); a recipe
names the fields flat (``steps: 500``).  Light: listing operators reads it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from ..limits import ITERATIONS_MAX, LEARNING_RATE
from ..operators import OutputPath, Range, options
from .limits import BATCH_MAX, STEPS_MAX


@options
@dataclass(frozen=True)
class Training:
    """How a network is trained: steps, batches, held-out share, checkpoints, plot.

    Parameters
    ----------
    steps
        training steps (optimizer updates)
    batch_size
        images per step
    learning_rate
        Adam step size
    validation
        share of the training images held out to measure the validation loss
    validate_every
        steps between validation losses (0: at the end only)
    checkpoint
        checkpoint file (model, optimizer, step, random state, losses), written
        atomically every checkpoint_every steps, at the end and on Ctrl-C
    checkpoint_every
        steps between checkpoints (0: at the end and on Ctrl-C only)
    resume
        continue from the checkpoint when it exists (rewriting it, so a re-run needs
        overwrite: true or --overwrite, as for any existing output)
    loss_plot
        PNG of the training and validation losses against step
    overwrite
        replace an existing model file (and start over an existing checkpoint)
    """

    steps: Annotated[int, Range(1, STEPS_MAX)] = 1000
    batch_size: Annotated[int, Range(1, BATCH_MAX)] = 4
    learning_rate: Annotated[float, Range(LEARNING_RATE[0], LEARNING_RATE[1])] = 1e-3
    validation: Annotated[float, Range(0, 0.9)] = 0.1
    validate_every: Annotated[int, Range(0, ITERATIONS_MAX)] = 100
    checkpoint: OutputPath = None
    checkpoint_every: Annotated[int, Range(0, ITERATIONS_MAX)] = 100
    resume: bool = False
    loss_plot: OutputPath = None
    overwrite: bool = False

    # the formats written (a PNG plot, a torch checkpoint), the names the plan takes
    suffixes = {"loss_plot": (".png",), "checkpoint": (".pt", ".pth", ".ckpt")}
