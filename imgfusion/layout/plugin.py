"""The layout family's registrations: shape_mask, resize, crop, repeat, place,
to_gray, composite, contact_sheet."""
from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.layout.masks")
    register("imgfusion.layout.geometry")
    register("imgfusion.layout.compose")
    register("imgfusion.layout.contact_sheets")
