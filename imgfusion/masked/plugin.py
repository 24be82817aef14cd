"""The masked family's registrations: the mask-guided operators, masked_style
(:mod:`imgfusion.masked.spatial_style`) and stylize_and_blend (:mod:`imgfusion.masked.cutout`),
declared by their functions and read from the source."""
from __future__ import annotations

from ..hookspecs import hookimpl
from ..style.plugin import PARAMS

# guide_mode, guide_dilation as the style options declare them, for the video registration
# until it is declared by its function.
GUIDE_PARAMS = tuple(p for p in PARAMS if p.name in ("guide_mode", "guide_dilation"))


@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.masked.spatial_style")
    register("imgfusion.masked.cutout")
