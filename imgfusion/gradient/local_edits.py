"""Selection editing (Pérez et al. 2003, section 4): one image, a mask, a new field.

Each operator keeps the image outside ``mask`` (the Dirichlet values f*) and
re-solves the selected pixels with a modified guidance field.  The mask is in
the image's frame, bool or float; every pixel with alpha > 0 is solved (a
soft mask only selects, it does not weight).  An RGBA image keeps its alpha.
"""
from __future__ import annotations

import time
from typing import Annotated

import numpy as np
import scipy.sparse as sp

from ..checks import (LUMA_STANDARDS, check_image, check_mask, join_alpha, luminance,
                      split_alpha)
from ..errors import ParameterError
from ..limits import FEATHER_MAX
from ..operators import Image, Mask, Range, operator
from .options import Solver, Tol
from .param_checks import canny_thresholds, recolouring
from .result import GradientResult
from .solvers import bounding_crop, solve_in_crop, solve_system
from .system import EDGES, assemble, forward_differences

LOG_OFFSET = 1e-3  # log(f + offset): keeps black pixels finite in the log domain
Canny = Annotated[float, Range(0, 100)]


@operator(check="imgfusion.gradient.param_checks:check_texture_flatten",
          same_size=("image", "mask"), size_of="image")
def texture_flatten(image: Image, mask: Mask, *, low_threshold: Canny = 0.1,
                    high_threshold: Canny = 0.2, sigma: Canny = 1.0, solver: Solver = "auto",
                    tol: Tol = 1e-8) -> GradientResult:
    """Flatten texture inside a mask, keeping gradients only across Canny edges.

    Pérez Eq. 15.  The edge map is :func:`skimage.feature.canny` of the image's
    luminance (thresholds on the gradient magnitude of the float image); an edge
    between neighbours p and q exists when either pixel is an edge pixel.  Higher
    thresholds give a sparser edge map and a flatter result; ``low_threshold`` is
    at most ``high_threshold``.

    Parameters
    ----------
    image
        float image in [0, 1]; an alpha channel is kept
    mask
        pixels to re-solve, in the image's frame
    low_threshold
        Canny low hysteresis threshold
    high_threshold
        Canny high hysteresis threshold (higher: flatter)
    sigma
        Canny Gaussian smoothing
    """

    from skimage.feature import canny

    canny_thresholds(low_threshold, high_threshold)
    colour, alpha, region, ndim = _prepare(image, mask)
    edges = canny(luminance(colour, "bt601"), sigma=sigma, low_threshold=low_threshold,
                  high_threshold=high_threshold)

    def fields(crop):
        e = edges[crop]
        return [d * (e[lo] | e[hi])[:, :, None]
                for (lo, hi), d in zip(EDGES, forward_differences(colour[crop]))]

    return _finish(solve_in_crop(region, colour, fields, solver=solver, tol=tol),
                   alpha, ndim)


@operator(same_size=("image", "mask"), size_of="image")
def illumination_change(image: Image, mask: Mask, *,
                        alpha: Annotated[float, Range(1e-6, 100)] = 0.2,
                        beta: Annotated[float, Range(0, 0.99)] = 0.2, solver: Solver = "auto",
                        tol: Tol = 1e-8) -> GradientResult:
    """Soften highlights and lift shadows inside a mask (log-domain gradients).

    Pérez Eq. 16.  In log space the field is ``a**beta * |grad f|**-beta * grad f``
    with ``a = alpha`` times the mean gradient norm over the mask (per channel), so
    large gradients shrink and small ones grow; the result is exponentiated back.

    Parameters
    ----------
    image
        float image in [0, 1]; an alpha channel is kept
    mask
        pixels to re-solve, in the image's frame
    alpha
        alpha as a fraction of the mean log-gradient norm in the mask
    beta
        compression exponent (0: no change)
    """
    colour, keep_alpha, region, ndim = _prepare(image, mask)
    logs = np.log(colour + LOG_OFFSET)
    gh, gv = forward_differences(logs)
    norm = np.zeros_like(logs)  # per-pixel norm of the forward-difference gradient
    norm[:, :-1] += gh ** 2
    norm[:-1, :] += gv ** 2
    norm = np.sqrt(norm)
    a = alpha * norm[region].mean(axis=0)
    with np.errstate(divide="ignore"):
        scale = np.where(norm > 0, a ** beta * norm ** -beta, 0.0)

    def fields(crop):
        s = scale[crop]
        dh, dv = forward_differences(logs[crop])
        return dh * s[:, :-1], dv * s[:-1, :]

    out, info = solve_in_crop(region, logs, fields, solver=solver, tol=tol)
    return _finish((np.exp(out) - LOG_OFFSET, info), keep_alpha, ndim)


@operator(check="imgfusion.gradient.param_checks:check_color_change",
          same_size=("image", "mask"), size_of="image")
def color_change(image: Image, mask: Mask, *,
                 multipliers: Annotated[tuple[float, float, float], Range(0.01, 100)] = (
                     1.5, 0.5, 0.5),
                 color: Annotated[tuple[float, float, float] | None, Range(0, 1)] = None,
                 decolorize_background: bool = False,
                 transition: Annotated[float, Range(0, FEATHER_MAX)] = 8.0,
                 solver: Solver = "auto", tol: Tol = 1e-8) -> GradientResult:
    """Recolour a selection seamlessly, optionally turning the background grey.

    Pérez Fig. 11.  The source is the image (RGB or RGBA) with its colour channels
    multiplied: by ``multipliers``, or, when ``color`` is given, its luminance times
    ``color / luminance(color)`` (every pixel takes the asked hue with its own
    luminance, so the shading is kept exactly; black has none to keep).  The
    source's gradients are imported inside ``mask`` with the image (or, with
    ``decolorize_background``, its luminance) as the boundary; use
    ``multipliers=(1, 1, 1)`` to keep the selection's own colours there.

    Pérez's pure Poisson solve (``transition=0``) only moves the selection's colour
    *relative to its boundary*: a red object on a reddish background stays red
    whatever the multipliers.  With ``transition > 0`` the solve is screened
    (Bhat et al. 2008): it also pulls every selected pixel towards the source with
    weight ``(3 / transition)**2``, so the selection takes the source's colours and
    blends into its surroundings over about ``transition`` pixels (the boundary's
    pull decays as ``exp(-3 d / transition)`` at depth d: 5% at ``transition``).
    The screened solve takes an assembled matrix: ``fft`` and ``mgpcg`` need
    ``transition=0``.

    Parameters
    ----------
    image
        float image in [0, 1]; an alpha channel is kept
    mask
        pixels to re-solve, in the image's frame
    multipliers
        factors for R, G, B inside the mask (unless color is given)
    color
        [r, g, b] asked for: the selection's luminance times this colour (shading
        kept); replaces multipliers
    decolorize_background
        boundary from the luminance: grey outside the selection
    transition
        px over which the recoloured selection blends into its surroundings; 0: Pérez's
        pure Poisson solve (colour only relative to the boundary)
    """
    colour, alpha, region, ndim = _prepare(image, mask)
    if colour.shape[2] != 3:
        raise ParameterError("image", "color_change needs a colour (RGB or RGBA) image")
    recolouring(transition, solver, color)
    source = _recoloured(colour, multipliers, color)
    grey = luminance(colour, "bt601")[:, :, None]
    fstar = np.repeat(grey, 3, axis=2) if decolorize_background else colour

    def fields(crop):
        return forward_differences(source[crop])

    if transition == 0:
        solved = solve_in_crop(region, fstar, fields, solver=solver, tol=tol)
    else:
        solved = _solve_screened(region, fstar, source, fields, (3.0 / transition) ** 2,
                                 solver, tol)
    return _finish(solved, alpha, ndim)


def _recoloured(colour, multipliers, color):
    """The source of color_change: the image's channels multiplied (see there)."""
    if color is None:
        return colour * np.asarray(multipliers, dtype=float)
    asked = np.asarray(color, dtype=float)   # not black: recolouring() refused it
    return luminance(colour, "bt601")[:, :, None] * (asked / float(
        asked @ LUMA_STANDARDS["bt601"]))


def _solve_screened(region, fstar, source, fields, weight, solver, tol):
    """Pérez Eq. 7 plus ``weight * (f_p - source_p)**2`` for every selected pixel p:
    (A + weight I) x = b + weight * source, on the region's bounding crop.  The
    screening anchors the solution, so the region may cover the whole image."""
    start = time.perf_counter()
    crop = bounding_crop(region)
    a, b = assemble(region[crop], fstar[crop], *fields(crop))
    selected = region[crop]
    values, info = solve_system((a + weight * sp.identity(a.shape[0], format="csr")).tocsr(),
                                b + weight * source[crop][selected], fstar[crop][selected],
                                solver=solver, tol=tol, coords=np.nonzero(selected))
    out = fstar.copy()
    out[crop][selected] = values
    info["seconds"] = time.perf_counter() - start
    return out, info


def _prepare(image, mask):
    ndim = np.ndim(image)
    colour, alpha = split_alpha(check_image(image, "image", grey_2d=True).astype(np.float64))
    region = check_mask(mask, colour.shape[:2], "mask", "the image", nonempty=True) > 0
    return colour, alpha, region, ndim


def _finish(solved, alpha, ndim):
    out, info = solved
    result = join_alpha(out, alpha, ndim)
    return GradientResult(result, info)
