"""Built-in plugin: the trained style networks.

Two blocks, one per network family, each registering its own operators; the
parameters every trainer shares (:data:`TRAINING_PARAMS`, through
:func:`training_params`) come first.  Functions are named as ``"module:function"``
strings, so listing operators does not import torch.
"""
from __future__ import annotations

from dataclasses import replace

from ..hookspecs import hookimpl
from ..limits import ITERATIONS_MAX, LEARNING_RATE
from ..operators import OutputPath, Param

STEPS_MAX = 10_000_000
BATCH_MAX = 4096

# -- shared by every trainer (imgfusion.trained.training.train's options) -----------------
TRAINING_PARAMS = (
    Param("path", OutputPath, help="the model file to write (.safetensors; a .json of its "
                                   "architecture and training is written next to it)"),
    Param("steps", int, 1000, min=1, max=STEPS_MAX, help="training steps (optimizer updates)"),
    Param("batch_size", int, 4, min=1, max=BATCH_MAX, help="images per step"),
    Param("learning_rate", float, 1e-3, min=LEARNING_RATE[0], max=LEARNING_RATE[1],
          help="Adam step size"),
    Param("validation", float, 0.1, min=0, max=0.9,
          help="share of the training images held out to measure the validation loss"),
    Param("validate_every", int, 100, min=0, max=ITERATIONS_MAX,
          help="steps between validation losses (0: at the end only)"),
    Param("checkpoint", OutputPath, None,
          help="checkpoint file (model, optimizer, step, random state, losses), written "
               "atomically every checkpoint_every steps, at the end and on Ctrl-C"),
    Param("checkpoint_every", int, 100, min=0, max=ITERATIONS_MAX,
          help="steps between checkpoints (0: at the end and on Ctrl-C only)"),
    Param("resume", bool, False, help="continue from the checkpoint when it exists"),
    Param("loss_plot", OutputPath, None,
          help="PNG of the training and validation losses against step"),
    Param("overwrite", bool, False,
          help="replace an existing model file (and start over an existing checkpoint)"),
)
_TRAINING = {p.name: p for p in TRAINING_PARAMS}
TRAINING_CONTEXT = ("device", "seed", "progress", "workdir", "protect")


def training_params(**defaults) -> list[Param]:
    """:data:`TRAINING_PARAMS`, with the defaults a trainer changes."""
    unknown = set(defaults) - set(_TRAINING)
    if unknown:
        raise ValueError(f"not training parameters: {sorted(unknown)}")
    return [replace(p, default=defaults[p.name]) if p.name in defaults else p
            for p in TRAINING_PARAMS]


OPERATORS: list = []   # each family's block below appends its operators


@hookimpl
def imgfusion_register_operators(register):
    for op in OPERATORS:
        register(op)
