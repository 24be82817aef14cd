"""The masked family's registrations: the mask-guided operators, masked_style
(:mod:`imgfusion.masked.spatial_style`) and stylize_and_blend (:mod:`imgfusion.masked.cutout`),
declared by their functions and read from the source."""
from __future__ import annotations

from ..hookspecs import hookimpl
from ..static_decl import read_module

# guide_mode, guide_dilation as masked_style declares them (its StyleGuides group), for the
# video registration until it is declared by its function.
GUIDE_PARAMS = tuple(p for op in read_module("imgfusion.masked.spatial_style")
                     for p in op.params if p.name in ("guide_mode", "guide_dilation"))


@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.masked.spatial_style")
    register("imgfusion.masked.cutout")
