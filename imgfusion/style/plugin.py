"""Registration of the neural-style operators: neural_style and its two reconstruction presets.

The functions in :mod:`imgfusion.style.transfer` declare them (typed signatures, option
groups flattened into recipe keys); they are read from the source, so listing operators
does not import torch.
"""
from __future__ import annotations

from ..hookspecs import hookimpl
from ..static_decl import read_module

# neural_style's flat parameters as its function declares them, for the registrations not
# yet declared by their functions (video, trained) that pick options from it by name.
PARAMS = next(op for op in read_module("imgfusion.style.transfer")
              if op.name == "neural_style").params


@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.style.transfer")
