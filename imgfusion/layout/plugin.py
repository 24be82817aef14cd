"""The layout family's registrations: shape_mask, resize, crop, repeat, place,
to_gray, composite, contact_sheet; cut_out and the keys, the mask algebra, the previews."""
from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.layout.masks")
    register("imgfusion.layout.geometry")
    register("imgfusion.layout.compose")
    register("imgfusion.layout.contact_sheets")
    register("imgfusion.layout.cutouts")
    register("imgfusion.layout.mask_ops")
    register("imgfusion.layout.previews")
