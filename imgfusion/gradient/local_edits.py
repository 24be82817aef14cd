"""Selection editing (Pérez et al. 2003, section 4): one image, a mask, a new field.

Each operator keeps the image outside ``mask`` (the Dirichlet values f*) and
re-solves the selected pixels with a modified guidance field.  The mask is in
the image's frame, bool or float; every pixel with alpha > 0 is solved (a
soft mask only selects, it does not weight).  An RGBA image keeps its alpha.
"""
from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from ..errors import ParameterError
from ..checks import (LUMA_STANDARDS, check_image, check_mask, join_alpha, luminance,
                      split_alpha)
from .result import GradientResult
from .solvers import bounding_crop, check_solver, solve_in_crop, solve_system
from .system import EDGES, assemble, forward_differences

LOG_OFFSET = 1e-3  # log(f + offset): keeps black pixels finite in the log domain


def texture_flatten(image, mask, *, low_threshold=0.1, high_threshold=0.2, sigma=1.0,
                    solver="auto", tol=1e-8):
    """Wash out texture inside ``mask``, keeping only gradients across edges (Pérez Eq. 15).

    The edge map is :func:`skimage.feature.canny` of the image's luminance;
    an edge between neighbours p and q exists when either pixel is an edge
    pixel.  Higher thresholds give a sparser edge map and a flatter result.

    Parameters
    ----------
    image : (H, W, C) float array in [0, 1]
    mask : (H, W) bool or float array
        Region to flatten.
    low_threshold, high_threshold : float
        Canny hysteresis thresholds on the gradient magnitude (float image).
    sigma : float
        Canny's Gaussian smoothing.
    solver, tol
        As :func:`imgfusion.gradient.blending.poisson_blend`.
    """
    from skimage.feature import canny

    if not (0 <= low_threshold <= high_threshold):
        raise ParameterError("low_threshold", f"need 0 <= low_threshold <= high_threshold, got "
                                              f"{low_threshold!r} and {high_threshold!r}")
    if sigma < 0:
        raise ParameterError("sigma", f"must be >= 0, got {sigma!r}")
    colour, alpha, region, ndim = _prepare(image, mask, solver, tol)
    edges = canny(luminance(colour, "bt601"), sigma=sigma, low_threshold=low_threshold,
                  high_threshold=high_threshold)

    def fields(crop):
        e = edges[crop]
        return [d * (e[lo] | e[hi])[:, :, None]
                for (lo, hi), d in zip(EDGES, forward_differences(colour[crop]))]

    return _finish(solve_in_crop(region, colour, fields, solver=solver, tol=tol),
                   alpha, ndim)


def illumination_change(image, mask, *, alpha=0.2, beta=0.2, solver="auto", tol=1e-8):
    """Soften highlights and lift shadows inside ``mask`` (Pérez Eq. 16, log domain).

    In log space the field is ``a**beta * |grad f|**-beta * grad f`` with
    ``a = alpha`` times the mean gradient norm over the mask (per channel), so
    large gradients shrink and small ones grow; the result is exponentiated back.

    Parameters
    ----------
    image : (H, W, C) float array in [0, 1]
    mask : (H, W) bool or float array
    alpha : float
        The paper's alpha as a fraction of the mean log-gradient norm in the mask.
    beta : float
        Compression exponent; 0 leaves the image unchanged.
    solver, tol
        As :func:`imgfusion.gradient.blending.poisson_blend`.
    """
    if not alpha > 0:
        raise ParameterError("alpha", f"must be > 0, got {alpha!r}")
    if not 0 <= beta < 1:
        raise ParameterError("beta", f"must lie in [0, 1), got {beta!r}")
    colour, keep_alpha, region, ndim = _prepare(image, mask, solver, tol)
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


def color_change(image, mask, *, multipliers=(1.5, 0.5, 0.5), color=None,
                 decolorize_background=False, transition=8.0, solver="auto", tol=1e-8):
    """Recolour the selection seamlessly, its shading kept (Pérez Fig. 11).

    The source is the image with its colour channels multiplied: by ``multipliers``,
    or, when ``color`` is given, its luminance times ``color / luminance(color)``
    (every pixel takes the asked hue with its own luminance, so the shading is
    kept exactly).  The source's gradients are imported inside ``mask`` with the
    image (or, with ``decolorize_background``, its luminance) as the boundary.

    Pérez's pure Poisson solve (``transition=0``) only moves the selection's colour
    *relative to its boundary*: a red object on a reddish background stays red
    whatever the multipliers.  With ``transition > 0`` the solve is screened
    (Bhat et al. 2008): it also pulls every selected pixel towards the source with
    weight ``(3 / transition)**2``, so the selection takes the source's colours and
    blends into its surroundings over about ``transition`` pixels (the boundary's
    pull decays as ``exp(-3 d / transition)`` at depth d: 5% at ``transition``).

    Parameters
    ----------
    image : (H, W, 3 or 4) float array in [0, 1]
    mask : (H, W) bool or float array in [0, 1]
    multipliers : (float, float, float)
        Per-channel factors (R, G, B), each > 0; ignored when ``color`` is given.
    color : (float, float, float), optional
        The colour asked for (R, G, B in [0, 1], not black).
    decolorize_background : bool
        Boundary values from the luminance: everything outside the selection turns
        grey; use ``multipliers=(1, 1, 1)`` to keep the selection's own colours.
    transition : float
        Width in pixels of the blend into the surroundings; 0 is Pérez's pure
        gradient-domain solve.
    solver, tol
        As :func:`imgfusion.gradient.blending.poisson_blend` (``fft`` needs
        ``transition=0``).
    """
    colour, alpha, region, ndim = _prepare(image, mask, solver, tol)
    if colour.shape[2] != 3:
        raise ParameterError("image", "color_change needs a colour (RGB or RGBA) image")
    if not (np.isfinite(transition) and transition >= 0):
        raise ParameterError("transition", f"must be 0 or more, got {transition!r}")
    if transition > 0 and solver == "fft":
        raise ParameterError("solver", "fft solves the pure Poisson system only; use auto, "
                                       "direct, cg or multigrid, or transition: 0")
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
        factors = np.asarray(multipliers, dtype=float)
        if factors.shape != (3,) or not np.isfinite(factors).all() or (factors <= 0).any():
            raise ParameterError("multipliers", f"expected three positive numbers, got "
                                                f"{multipliers!r}")
        return colour * factors
    asked = np.asarray(color, dtype=float)
    if asked.shape != (3,) or not np.isfinite(asked).all() or asked.min() < 0 \
            or asked.max() > 1:
        raise ParameterError("color", f"expected [r, g, b] in [0, 1], got {color!r}")
    grey = float(asked @ LUMA_STANDARDS["bt601"])
    if grey <= 0:
        raise ParameterError("color", "black has no shading to keep; ask for a colour "
                                      "with some luminance")
    return luminance(colour, "bt601")[:, :, None] * (asked / grey)


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


def _prepare(image, mask, solver, tol):
    check_solver(solver, tol)
    ndim = np.ndim(image)
    colour, alpha = split_alpha(check_image(image, "image", grey_2d=True).astype(np.float64))
    region = check_mask(mask, colour.shape[:2], "mask", "the image", nonempty=True) > 0
    return colour, alpha, region, ndim


def _finish(solved, alpha, ndim):
    out, info = solved
    result = join_alpha(out, alpha, ndim)
    return GradientResult(result, info)
