"""The toy problem: rebuild an image from its gradients and one anchor pixel.

Least squares over every x and y forward difference plus the anchor::

    v(r, c+1) - v(r, c) = s(r, c+1) - s(r, c)
    v(r+1, c) - v(r, c) = s(r+1, c) - s(r, c)
    v(anchor)           = s(anchor)        (or ``anchor_value``)

solved through its normal equations, which are the image's Neumann Laplacian
plus the anchor on the diagonal: symmetric positive-definite, so the same
factorisation serves every channel.  The system is consistent, so the
reconstruction is exact up to the solver's tolerance.
"""
from __future__ import annotations

import time
from typing import Annotated

import numpy as np
import scipy.sparse as sp

from ..checks import check_image, join_alpha, split_alpha
from ..limits import COORD_MAX
from ..operators import Image, Range, operator
from .options import ExactSolver, Tol
from .result import GradientResult
from .shape_checks import check_anchor
from .solvers import solve_system
from .system import assemble, forward_differences

Anchor = Annotated[tuple[int, int], Range(0, COORD_MAX)]


@operator(size_of="image", shape_check="imgfusion.gradient.shape_checks:anchor_lands")
def gradient_reconstruct(image: Image, *, anchor: Anchor = (0, 0),
                         anchor_value: Annotated[float | None, Range(0, 1)] = None,
                         solver: ExactSolver = "direct", tol: Tol = 1e-10) -> GradientResult:
    """Rebuild an image from its x/y gradients and one anchor pixel (toy problem).

    A 2-D array is a grey image; an alpha channel is kept as is, not
    reconstructed.  Without ``anchor_value`` the anchor keeps the image's own
    value, which makes the reconstruction exact.

    Parameters
    ----------
    image
        float image in [0, 1]; an alpha channel is kept
    anchor
        (row, col) of the pixel that pins the free constant
    anchor_value
        value at the anchor; empty takes the image's own (exact)
    solver
        direct (sparse LU), cg, multigrid or auto
    tol
        relative residual at which cg and multigrid stop
    """
    start = time.perf_counter()
    ndim = np.ndim(image)
    colour, alpha = split_alpha(check_image(image, "image", grey_2d=True).astype(np.float64))
    h, w, channels = colour.shape
    check_anchor(anchor, (h, w))
    r, c = anchor
    value = colour[r, c] if anchor_value is None else np.full(channels, float(anchor_value))
    gh, gv = forward_differences(colour)
    everything = np.ones((h, w), dtype=bool)
    a, b = assemble(everything, colour, gh, gv)  # Neumann Laplacian and -div
    k = r * w + c
    a = a + sp.csr_matrix(([1.0], ([k], [k])), shape=a.shape)
    b[k] += value
    x, info = solve_system(a, b, np.broadcast_to(value, b.shape).copy(), solver=solver, tol=tol,
                           coords=np.nonzero(everything))
    out = x.reshape(h, w, channels)
    info["normal_residual"] = info["residual"]
    info["residual"] = _least_squares_residual(out, gh, gv, (r, c), value)
    info["seconds"] = time.perf_counter() - start
    result = join_alpha(out, alpha, ndim)
    return GradientResult(result, info)


def _least_squares_residual(v, gh, gv, anchor, value) -> float:
    dh, dv = forward_differences(v)
    misfit = np.concatenate([(dh - gh).ravel(), (dv - gv).ravel(), v[anchor] - value])
    rhs = np.concatenate([gh.ravel(), gv.ravel(), np.atleast_1d(value)])
    return float(np.linalg.norm(misfit) / max(np.linalg.norm(rhs), np.finfo(float).tiny))
