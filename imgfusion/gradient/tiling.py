"""Seamless tiling (Pérez et al. 2003, Fig. 12)."""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..checks import check_image, join_alpha, split_alpha
from .result import GradientResult
from .solvers import check_solver, solve_region
from .system import forward_differences


def seamless_tile(image, *, solver="auto", tol=1e-8):
    """Make ``image`` tile without seams.

    The border is fixed to the mean of opposite sides (north = south =
    (north + south) / 2, likewise east and west, corners the mean of all four)
    and the interior is re-solved with the image's own gradients, so opposite
    edges match when the result is repeated.

    Parameters
    ----------
    image : (H, W, C) float array in [0, 1], H and W at least 3
        An alpha channel is kept as is.
    solver, tol
        As :func:`imgfusion.gradient.blending.poisson_blend`.

    Returns
    -------
    image, info : float32 array shaped like ``image``
        The result; ``info`` says how it was solved (:class:`GradientResult`).
    """
    check_solver(solver, tol)
    ndim = np.ndim(image)
    colour, alpha = split_alpha(check_image(image, "image", grey_2d=True).astype(np.float64))
    h, w = colour.shape[:2]
    if h < 3 or w < 3:
        raise ParameterError("image", f"needs at least 3x3 pixels to have an interior, "
                                      f"got {h}x{w}")
    fstar = colour.copy()
    fstar[0] = fstar[-1] = (colour[0] + colour[-1]) / 2
    fstar[:, 0] = fstar[:, -1] = (fstar[:, 0] + fstar[:, -1]) / 2
    interior = np.zeros((h, w), dtype=bool)
    interior[1:-1, 1:-1] = True
    out, info = solve_region(interior, fstar, *forward_differences(colour), solver=solver,
                             tol=tol)
    result = join_alpha(out, alpha, ndim)
    return GradientResult(result, info)
