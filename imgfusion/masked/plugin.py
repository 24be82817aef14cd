"""The masked family's registrations: the mask-guided operators, masked_style
(:mod:`imgfusion.masked.spatial_style`) and stylize_and_blend (:mod:`imgfusion.masked.cutout`),
declared by their functions and read from the source."""
from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.masked.spatial_style")
    register("imgfusion.masked.cutout")
