"""Seamless tiling (Pérez et al. 2003, Fig. 12)."""
from __future__ import annotations

import numpy as np

from ..checks import check_image, join_alpha, split_alpha
from ..operators import Image, operator
from .options import Solver, Tol
from .result import GradientResult
from .shape_checks import check_interior
from .solvers import solve_region
from .system import forward_differences


@operator(size_of="image", shape_check="imgfusion.gradient.shape_checks:has_interior")
def seamless_tile(image: Image, *, solver: Solver = "auto", tol: Tol = 1e-8) -> GradientResult:
    """Make an image tile seamlessly (opposite borders averaged, interior re-solved).

    The border is fixed to the mean of opposite sides (north = south =
    (north + south) / 2, likewise east and west, corners the mean of all four)
    and the interior is re-solved with the image's own gradients, so opposite
    edges match when the result is repeated.  The image needs at least 3x3 pixels.

    Parameters
    ----------
    image
        float image in [0, 1]; an alpha channel is kept
    """
    ndim = np.ndim(image)
    colour, alpha = split_alpha(check_image(image, "image", grey_2d=True).astype(np.float64))
    h, w = colour.shape[:2]
    check_interior((h, w))
    fstar = colour.copy()
    fstar[0] = fstar[-1] = (colour[0] + colour[-1]) / 2
    fstar[:, 0] = fstar[:, -1] = (fstar[:, 0] + fstar[:, -1]) / 2
    interior = np.zeros((h, w), dtype=bool)
    interior[1:-1, 1:-1] = True
    out, info = solve_region(interior, fstar, *forward_differences(colour), solver=solver,
                             tol=tol)
    result = join_alpha(out, alpha, ndim)
    return GradientResult(result, info)
