"""imgfusion: image pipelines in YAML recipes, and the functions behind them.

Every built-in operator is a plain function exported here, e.g.::

    from imgfusion import load, poisson_blend, neural_style

``imgfusion.NAME`` looks ``NAME`` up in the built-in operator registry (read from the
families' sources, so nothing heavy is imported until an operator is called); a few
helpers that are not operators are named in :data:`_HELPERS`.
"""
from __future__ import annotations

import importlib

from .errors import ImgfusionError, ParameterError, RecipeError
from .hookspecs import hookimpl
from .operators import (Context, Data, Device, Image, Images, Input, InputPath, Labels, Mask,
                        Masks, Operator, Output, OutputPath, Param, Progress, Protect, Range, Seed,
                        Value, WorkDir, operator, options)

__version__ = "0.1.0"

# helpers that are not operators: name -> module that defines it
_HELPERS = {
    "read_image": "imgfusion.io.read",
    "read_mask": "imgfusion.io.read",
    "probe_image": "imgfusion.io.read",
    "sample_names": "imgfusion.io.samples",
    "write_image": "imgfusion.io.write",
    "Video": "imgfusion.video.frames",
    "probe_video": "imgfusion.video.reader",
    "dense_flow": "imgfusion.video.flow",
    "temporal_errors": "imgfusion.video.measures",
    "load_vae_model": "imgfusion.trained.vae_io",
    "load_fast_style": "imgfusion.trained.fast_style",
}


def _operator_names() -> list[str]:
    from .plugins import builtin_registry

    return builtin_registry().names()


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    if name in _HELPERS:
        value = getattr(importlib.import_module(_HELPERS[name]), name)
    elif name in _operator_names():
        from .plugins import builtin_registry

        value = builtin_registry()[name].function
    else:
        raise AttributeError(f"module 'imgfusion' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_HELPERS) | set(_operator_names()))


__all__ = ["ImgfusionError", "ParameterError", "RecipeError", "hookimpl", "Input",
           "InputPath", "Operator", "Output", "OutputPath", "Param", "operator", "options",
           "Range", "Context", "Image", "Mask", "Masks", "Images", "Value", "Data", "Device", "Seed",
           "Progress", "WorkDir", "Labels", "Protect", *_HELPERS]
