"""VAE style model files, through the shared :mod:`imgfusion.trained.modelfile`.

Kind ``style_vae``, format 1.  ``arch`` is :func:`~imgfusion.trained.vae_model.file_arch`
(the network, refiner or not, the Gram layers), from which every tensor's name and
shape follows, so a file of another architecture is refused before any weight is
loaded; ``training`` holds the settings and the training report.
"""
from __future__ import annotations

import os
from pathlib import Path

from .modelfile import check_model_file, load_model, save_model
from .vae_model import VaeStyleModel, expected_shapes, file_arch, from_tensors, tensors

KIND = "style_vae"
FORMAT = 1


def save_vae_model(path, model: VaeStyleModel, training: dict, *, overwrite: bool = False,
                   protect=()) -> Path:
    meta = {"kind": KIND, "format": FORMAT, "arch": file_arch(model), "training": training,
            "gram_weights": model.gram_weights}
    return save_model(path, tensors(model), meta, overwrite=overwrite, protect=protect)


def load_vae_model(path: str | os.PathLike, field: str = "model_file") -> VaeStyleModel:
    """The model of a ``style_vae`` file (checked: kind, format, every tensor's shape)."""
    state, meta = load_model(path, KIND, max_format=FORMAT, shapes=expected_shapes,
                             field=field)
    return from_tensors(state, meta["arch"], meta)


def check_vae_file(path: str | os.PathLike, field: str = "model_file") -> dict:
    """The meta of a ``style_vae`` file, from its header only (recipe validation)."""
    return check_model_file(path, KIND, max_format=FORMAT, field=field)
