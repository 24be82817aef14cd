"""The operator contract, public: everything a family or a plugin writes operators with.

An operator is declared once, by its typed function::

    from typing import Annotated
    from imgfusion.operators import operator, Image, Range

    @operator
    def invert(image: Image, *, amount: Annotated[float, Range(0, 1)] = 1.0) -> Image:
        '''Invert the colours.

        Parameters
        ----------
        amount : how far to invert
        '''
        return (1 - amount) * image + amount * (1 - image)

and registered by its family's hook: ``register("package.module")`` reads every
``@operator`` of a module from its source (:mod:`imgfusion.static_decl`) without
importing it; ``register(invert)`` reads a function at run time
(:mod:`imgfusion.declare`).  Either gives the :class:`Operator` record
(:mod:`imgfusion.records`), which the engine checks values against.

This module only re-exports; the floors beneath it are :mod:`imgfusion.markers` and
:mod:`imgfusion.records` (base), :mod:`imgfusion.declare_build` (the one builder), and
the two readers on top of it.  None of them imports this facade.
"""
from __future__ import annotations

from .declare import is_operator, operator, read_function
from .markers import (Context, Data, DeclarationError, Device, Fields, Help, Image, Images, Labels,
                      Mask, Masks, Progress, Protect, Range, Seed, Value, Video, Videos,
                      WorkDir, options)
from .records import (CONTEXT_NAMES, INPUT_KINDS, OUTPUT_KINDS, REQUIRED, Input, InputPath,
                      Operator, Output, OutputPath, Param)

__all__ = [
    "CONTEXT_NAMES", "INPUT_KINDS", "OUTPUT_KINDS", "REQUIRED", "Context", "Data",
    "DeclarationError", "Device", "Fields", "Help", "Image", "Images", "Input", "InputPath",
    "Labels", "Mask", "Masks",
    "Operator", "Output", "OutputPath", "Param", "Progress", "Protect", "Range", "Seed",
    "Value", "Video", "Videos", "WorkDir", "is_operator", "operator", "options",
    "read_function",
]
