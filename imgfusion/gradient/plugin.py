"""The gradient family's registrations: the gradient-domain operators (Pérez et al. 2003).

Registration only; the functions live in :mod:`imgfusion.gradient` and are
imported when an operator first runs.  Each function returns a
:class:`~imgfusion.gradient.result.GradientResult`, whose two fields are the
operator's two outputs: the image, and ``info`` (solver used, unknowns, relative
residual, iterations, seconds).
"""
from __future__ import annotations

from . import DEVICES, EXACT_SOLVERS, SOLVERS
from ..hookspecs import hookimpl
from ..operators import Input, Operator, Output, Param
from ..limits import COORD_MAX, FEATHER_MAX

_MODULES = {"gradient_reconstruct": "reconstruct", "poisson_blend": "blending",
            "mixed_blend": "blending", "monochrome_transfer": "blending",
            "texture_flatten": "local_edits", "illumination_change": "local_edits",
            "color_change": "local_edits", "seamless_tile": "tiling"}
_OUTPUTS = (Output("image"),
            Output("info", "data", "solver used, unknowns, relative residual (None for fft), "
                                   "iterations, seconds"))
TOL_PARAM = Param("tol", float, 1e-8, min=1e-15, max=0.5,
             help="relative residual at which cg and multigrid stop")
SOLVER_PARAM = Param("solver", str, "auto", choices=SOLVERS,
                help="auto, direct (sparse LU), cg (AMG-preconditioned), multigrid, "
                     "mgpcg (matrix-free multigrid CG), fft (fast, approximate)")
_IMAGE = Input("image", help="float image in [0, 1]; an alpha channel is kept")
_SELECTION = Input("mask", "mask", help="pixels to re-solve, in the image's frame")
_BLEND_INPUTS = (
    Input("source", help="image whose gradients are pasted"),
    Input("target", help="image pasted into; its alpha channel is kept"),
    Input("mask", "mask", help="region to paste, in the source's frame (alpha: soft blend)"),
)
_BLEND_PARAMS = (
    Param("offset", tuple[int, int], (0, 0), min=-COORD_MAX, max=COORD_MAX,
          help="(row, col) of the source's top-left corner in the target; may be negative "
               "or partly outside (clipped)"),
    SOLVER_PARAM, TOL_PARAM,
    Param("device", str, "cpu", choices=DEVICES,
          help="where mgpcg/auto solve: cpu, or cuda (torch, a GPU)"),
)


def _traits(inputs) -> dict:
    """What validation reads: a mask matches its image; the result has the target's size."""
    names = [i.name for i in inputs]
    same = {"same_size": (names[0], "mask")} if "mask" in names else {}
    return {**same, "size_of": "target" if "target" in names else names[0]}


def _op(name: str, summary: str, inputs, params) -> Operator:
    return Operator(name=name, func=f"imgfusion.gradient.{_MODULES[name]}:{name}", summary=summary, inputs=inputs,
                    params=params, outputs=_OUTPUTS, traits=_traits(inputs))


@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.gradient.color_keeping")
    register(_op("gradient_reconstruct",
                 "Rebuild an image from its x/y gradients and one anchor pixel (toy problem).",
                 [_IMAGE],
                 [Param("anchor", tuple[int, int], (0, 0), min=0, max=COORD_MAX,
                        help="(row, col) of the pixel that pins the free constant"),
                  Param("anchor_value", float | None, None, min=0, max=1,
                        help="value at the anchor; empty takes the image's own (exact)"),
                  Param("solver", str, "direct", choices=EXACT_SOLVERS,
                        help="direct (sparse LU), cg, multigrid or auto"),
                  Param("tol", float, 1e-10, min=1e-15, max=0.5,
                        help="relative residual at which cg and multigrid stop")]))
    register(_op("poisson_blend",
                 "Paste a masked source into a target seamlessly by importing its gradients.",
                 _BLEND_INPUTS, _BLEND_PARAMS))
    register(_op("mixed_blend",
                 "Seamless paste keeping the stronger gradient per pixel pair (holes, "
                 "transparency).", _BLEND_INPUTS, _BLEND_PARAMS))
    register(_op("monochrome_transfer",
                 "Seamless paste of the source's luminance texture only, not its colour.",
                 _BLEND_INPUTS, _BLEND_PARAMS))
    register(_op("texture_flatten",
                 "Flatten texture inside a mask, keeping gradients only across Canny edges.",
                 [_IMAGE, _SELECTION],
                 [Param("low_threshold", float, 0.1, min=0, max=100,
                        help="Canny low hysteresis threshold"),
                  Param("high_threshold", float, 0.2, min=0, max=100,
                        help="Canny high hysteresis threshold (higher: flatter)"),
                  Param("sigma", float, 1.0, min=0, max=100, help="Canny Gaussian smoothing"),
                  SOLVER_PARAM, TOL_PARAM]))
    register(_op("illumination_change",
                 "Soften highlights and lift shadows inside a mask (log-domain gradients).",
                 [_IMAGE, _SELECTION],
                 [Param("alpha", float, 0.2, min=1e-6, max=100,
                        help="alpha as a fraction of the mean log-gradient norm in the mask"),
                  Param("beta", float, 0.2, min=0, max=0.99,
                        help="compression exponent (0: no change)"),
                  SOLVER_PARAM, TOL_PARAM]))
    register(_op("color_change",
                 "Recolour a selection seamlessly, optionally turning the background grey.",
                 [_IMAGE, _SELECTION],
                 [Param("multipliers", tuple[float, float, float], (1.5, 0.5, 0.5),
                        min=0.01, max=100, help="factors for R, G, B inside the mask (unless color is given)"),
                  Param("color", tuple[float, float, float] | None, None, min=0, max=1,
                        help="[r, g, b] asked for: the selection's luminance times this "
                             "colour (shading kept); replaces multipliers"),
                  Param("decolorize_background", bool, False,
                        help="boundary from the luminance: grey outside the selection"),
                  Param("transition", float, 8.0, min=0, max=FEATHER_MAX,
                        help="px over which the recoloured selection blends into its "
                             "surroundings; 0: Pérez's pure Poisson solve (colour only "
                             "relative to the boundary)"),
                  SOLVER_PARAM, TOL_PARAM]))
    register(_op("seamless_tile",
                 "Make an image tile seamlessly (opposite borders averaged, interior "
                 "re-solved).", [_IMAGE], [SOLVER_PARAM, TOL_PARAM]))
