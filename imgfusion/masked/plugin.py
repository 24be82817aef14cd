"""The masked family's registrations: the mask-guided operators, masked_style and stylize_and_blend.

Registration only; the functions live in :mod:`imgfusion.masked` (each registration names
its flat-key twin, which gathers the flat options into the style option groups).  The neural-style
parameters are the ones :mod:`imgfusion.style.plugin` declares for ``neural_style``,
and the blend's solver parameters those of :mod:`imgfusion.gradient.plugin`, shared
rather than copied.
"""
from __future__ import annotations

from dataclasses import replace

from ..hookspecs import hookimpl
from ..operators import Input, Operator, Output, Param
from ..gradient.plugin import SOLVER_PARAM, TOL_PARAM
from ..limits import COORD_MAX, FEATHER_MAX
from ..style.plugin import CHECK, CONTEXT, OUTPUTS, PARAMS

_KEEP_SIZE = "output size: longest side or [rows, cols]; null keeps the content's size"
_STYLE_PARAMS = tuple(replace(p, default=None, help=_KEEP_SIZE) if p.name == "size" else p
                      for p in PARAMS)
GUIDE_PARAMS = (
    Param("guide_mode", str, "simple", choices=("simple", "all", "inside"),
          help="guided/regions: carry masks to each layer by resampling, any overlap of the "
               "receptive field (all), or receptive field wholly inside (inside)"),
    Param("guide_dilation", int, 0, min=-1024, max=1024,
          help="guided/regions: grow (> 0) or shrink (< 0) the layer guides by that many "
               "neurons"),
)


def _op(module: str, name: str, summary: str, inputs, params, outputs=OUTPUTS,
        traits=None) -> Operator:
    return Operator(name=name, func=f"imgfusion.masked.{module}:{name}_flat", summary=summary,
                    inputs=inputs, params=params, outputs=outputs, context=CONTEXT, check=CHECK,
                    traits=traits or {})


MASKED_STYLE = _op(
    "spatial_style", "masked_style",
    "Neural style only where a mask says: composite, Gatys 2017 guided Gram matrices, or "
    "one style per region.",
    [Input("content", help="the photograph"),
     Input("style", many=True,
           help="composite: one or several (blended); guided: one; regions: one per mask"),
     Input("mask", "mask", many=True,
           help="where the style goes, at the content's size; regions: one per style, "
                "not overlapping"),
     Input("style_guides", "mask", optional=True, many=True,
           help="guided/regions: the part of each style image to take the style from")],
    (Param("method", str, "composite", choices=("composite", "guided", "regions"),
           help="composite: stylise all, blend through the mask (outside unchanged); "
                "guided: guided Gram matrices; regions: one style per mask"),
     Param("feather", float, 0.0, min=0, max=FEATHER_MAX,
           help="soften each mask over this many pixels inside its outline"),
     *GUIDE_PARAMS, *_STYLE_PARAMS),
)

STYLIZE_AND_BLEND = _op(
    "cutout", "stylize_and_blend",
    "Stylise a cutout (its bounding box plus a margin) and blend it seamlessly into a photo "
    "at an offset.",
    [Input("source", help="the image the cutout comes from"),
     Input("target", help="the photo it is blended into"),
     Input("mask", "mask", help="the cutout, in the source's frame"),
     Input("style", many=True, help="style image(s) for neural_style")],
    (Param("offset", tuple[int, int], (0, 0), min=-COORD_MAX, max=COORD_MAX,
           help="(row, col) of the source's top-left pixel in the photo; the whole cutout "
                "must land inside"),
     Param("blend", str, "poisson", choices=("poisson", "mixed"),
           help="poisson: import the stylised gradients; mixed: keep the stronger gradient "
                "per pixel pair"),
     Param("margin", int, 16, min=0, max=FEATHER_MAX,
           help="pixels of context around the mask's bounding box stylised with it"),
     SOLVER_PARAM, TOL_PARAM,
     *(p for p in PARAMS if p.name not in ("size", "pyramid"))),
    (*OUTPUTS, Output("info", "data", "the blend's solver, unknowns, relative residual, "
                                      "iterations, seconds")),
    {"same_size": ("source", "mask"), "size_of": "target"},
)


@hookimpl
def imgfusion_register_operators(register):
    for op in (MASKED_STYLE, STYLIZE_AND_BLEND):
        register(op)
