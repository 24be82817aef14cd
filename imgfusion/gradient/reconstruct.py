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

import numpy as np
import scipy.sparse as sp

from ..errors import ParameterError
from . import EXACT_SOLVERS
from ..checks import check_image, check_pair, join_alpha, split_alpha
from .result import GradientResult
from .solvers import solve_system
from .system import assemble, forward_differences


def gradient_reconstruct(image, *, anchor=(0, 0), anchor_value=None, solver="direct",
                         tol=1e-10):
    """Rebuild ``image`` from its forward differences and one anchor pixel.

    Parameters
    ----------
    image : (H, W, C) float array in [0, 1]
        The image whose gradients are used (a 2-D array is grey; an alpha
        channel is kept as is, not reconstructed).
    anchor : (int, int)
        (row, col) of the pixel whose value pins the free constant.
    anchor_value : float or None
        Value for the anchor in every channel; None takes the image's own,
        which makes the reconstruction exact.
    solver : {"auto", "direct", "cg", "multigrid"}
    tol : float
        Relative residual at which the iterative solvers stop.

    Returns
    -------
    image, info : float32 array shaped like ``image``
        The result; ``info`` says how it was solved (:class:`GradientResult`).
    """
    if solver not in EXACT_SOLVERS:
        raise ParameterError("solver", f"{solver!r} is not one of "
                                       f"{', '.join(EXACT_SOLVERS)}")
    if not (0 < tol < 1):
        raise ParameterError("tol", f"must lie strictly between 0 and 1, got {tol!r}")
    start = time.perf_counter()
    ndim = np.ndim(image)
    colour, alpha = split_alpha(check_image(image, "image", grey_2d=True).astype(np.float64))
    h, w, channels = colour.shape
    r, c = check_pair(anchor, "anchor")
    if not (0 <= r < h and 0 <= c < w):
        raise ParameterError("anchor", f"({r}, {c}) lies outside the {h}x{w} image")
    if anchor_value is None:
        value = colour[r, c]
    elif np.isfinite(anchor_value):
        value = np.full(channels, float(anchor_value))
    else:
        raise ParameterError("anchor_value", f"must be finite, got {anchor_value!r}")
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
