"""The gradient family's registrations: the gradient-domain operators (Pérez et al. 2003).

Each module is read from its source (the operators' typed signatures), so listing
and validation import neither scipy nor torch; a module is imported when one of
its operators first runs.  Every operator returns a
:class:`~imgfusion.gradient.result.GradientResult`: the image, and ``info``.
"""
from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.gradient.reconstruct")
    register("imgfusion.gradient.blending")
    register("imgfusion.gradient.local_edits")
    register("imgfusion.gradient.tiling")
    register("imgfusion.gradient.color_keeping")
