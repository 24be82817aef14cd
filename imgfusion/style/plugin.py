"""Registration of the neural-style operators: neural_style and its two reconstruction presets.

The functions in :mod:`imgfusion.style.transfer` declare them (typed signatures, option
groups flattened into recipe keys); they are read from the source, so listing operators
does not import torch.
"""
from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.style.transfer")
