"""Fast Poisson solve on a rectangle with sine/cosine transforms.

Solves ``L x = b`` where L is the 5-point Laplacian of an n_r x n_c rectangle
whose four sides are each either *Dirichlet* (a fixed frame pixel lies beyond
it, already folded into b) or *truncated* (the image ends there: the paper's
truncated neighbourhood, a Neumann condition).  Along an axis, Dirichlet on
both sides diagonalises with a DST-I, truncated on both sides with a DCT-II,
and a mixed axis is mirrored across its truncated side into a Dirichlet one of
twice the length.  Cost O(N log N).

:func:`solve_dirichlet` (the ``fft`` mode's solve) transforms one axis only
and eliminates along the other (Hockney's method): half the transforms.
``WORKERS`` is scipy.fft's thread count (-1: every core; the bench sets it).
"""
from __future__ import annotations

import numpy as np
import scipy.fft as fft
from numba import njit

from .system import EDGES, forward_differences

WORKERS = -1


def _mirror(b: np.ndarray, axis: int, lo_dirichlet: bool, hi_dirichlet: bool):
    """Mirror a mixed axis into a Dirichlet-Dirichlet one; return (b, crop)."""
    n = b.shape[axis]
    if lo_dirichlet == hi_dirichlet:
        return b, slice(None)
    flipped = np.flip(b, axis=axis)
    if lo_dirichlet:  # truncated at the high end
        return np.concatenate([b, flipped], axis=axis), slice(0, n)
    return np.concatenate([flipped, b], axis=axis), slice(n, 2 * n)


def _forward(b, axis, dirichlet):
    if dirichlet:
        return fft.dst(b, type=1, axis=axis, norm="ortho", workers=WORKERS)
    return fft.dct(b, type=2, axis=axis, norm="ortho", workers=WORKERS)


def _inverse(b, axis, dirichlet):
    if dirichlet:
        return fft.idst(b, type=1, axis=axis, norm="ortho", workers=WORKERS)
    return fft.idct(b, type=2, axis=axis, norm="ortho", workers=WORKERS)


def _eigenvalues(n: int, dirichlet: bool) -> np.ndarray:
    if dirichlet:
        return 2 - 2 * np.cos(np.pi * np.arange(1, n + 1) / (n + 1))
    return 2 - 2 * np.cos(np.pi * np.arange(n) / n)


def solve_dirichlet(b: np.ndarray) -> np.ndarray:
    """Solve ``L x = b`` with Dirichlet (zero) sides; b is C x n_r x n_c, float32 in and out.

    A DST-I along the rows (the contiguous axis) turns the 5-point system into
    one tridiagonal system down the columns per frequency k,
    ``-x[i-1] + (2 + lambda_k) x[i] - x[i+1] = y[i]``, solved by elimination;
    the inverse DST-I brings x back.  The same solution as a DST-I on both
    axes, with half the transforms, all channels in one call.
    """
    coef = fft.dst(b, type=1, axis=2, workers=WORKERS)
    tridiagonal_columns(coef, 2.0 + _eigenvalues(b.shape[2], True))
    return fft.idst(coef, type=1, axis=2, workers=WORKERS, overwrite_x=True)


@njit(cache=True, fastmath=True, nogil=True)
def tridiagonal_columns(y, diag):
    """Solve ``-x[i-1] + diag[k] x[i] - x[i+1] = y[i]`` down axis 1 of y (C x R x K) in place.

    x is 0 beyond both ends; ``diag`` > 2 keeps the elimination stable.  The
    pivots' inverses depend on the shape only and are shared by the channels;
    every loop runs along the contiguous axis.
    """
    nc, rows, cols = y.shape
    inv = np.empty((rows, cols))
    for k in range(cols):
        inv[0, k] = 1.0 / diag[k]
    for i in range(1, rows):
        for k in range(cols):
            inv[i, k] = 1.0 / (diag[k] - inv[i - 1, k])
    for c in range(nc):
        for k in range(cols):
            y[c, 0, k] *= inv[0, k]
        for i in range(1, rows):
            for k in range(cols):
                y[c, i, k] = (y[c, i, k] + y[c, i - 1, k]) * inv[i, k]
        for i in range(rows - 2, -1, -1):
            for k in range(cols):
                y[c, i, k] += inv[i, k] * y[c, i + 1, k]


def solve_rectangle(b: np.ndarray, dirichlet: tuple[bool, bool, bool, bool]) -> np.ndarray:
    """Solve ``L x = b`` for b of shape n_r x n_c x C (in float32; returns float64).

    ``dirichlet`` = (top, bottom, left, right).  When no side is Dirichlet the
    system is singular; the returned solution then has zero mean.
    """
    top, bottom, left, right = dirichlet
    work = np.ascontiguousarray(b.transpose(2, 0, 1), dtype=np.float32)  # C x rows x cols
    work, rcrop = _mirror(work, 1, top, bottom)
    work, ccrop = _mirror(work, 2, left, right)
    rows_d, cols_d = top or bottom, left or right
    coef = _forward(_forward(work, 1, rows_d), 2, cols_d)
    lam = (_eigenvalues(work.shape[1], rows_d)[:, None]
           + _eigenvalues(work.shape[2], cols_d)[None, :])
    if lam[0, 0] == 0:  # pure Neumann: fix the free constant
        lam[0, 0] = 1.0
        coef[:, 0, 0] = 0.0
    coef /= lam.astype(np.float32)
    x = _inverse(_inverse(coef, 2, cols_d), 1, rows_d)
    return x[:, rcrop, ccrop].transpose(1, 2, 0).astype(np.float64)


def solve_box(reg, fs, gh, gv):
    """Re-solve the region's bounding box with f*'s own gradients outside the region.

    Solved as a correction: ``x = f* + delta`` with ``L delta = -div(v - grad f*)``
    and delta = 0 on the box's frame, so the transform only carries the change
    (float32 is then ample, and a field equal to grad f* changes nothing).
    """
    change = np.zeros(fs.shape)
    for (lo, hi), g, t in zip(EDGES, (gh, gv), forward_differences(fs)):
        d = np.where((reg[lo] | reg[hi])[:, :, None], g - t, 0.0)
        change[lo] -= d
        change[hi] += d
    rows = np.flatnonzero(reg.any(axis=1))
    cols = np.flatnonzero(reg.any(axis=0))
    box = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = reg.shape  # the crop meets the array's edge only at the image's edge
    dirichlet = (rows[0] > 0, rows[-1] < h - 1, cols[0] > 0, cols[-1] < w - 1)
    delta = solve_rectangle(change[box], dirichlet)
    if not any(dirichlet):  # only known up to a constant: keep f* off the region
        delta -= delta[~reg[box]].mean(axis=0)
    return fs[box][reg[box]] + delta[reg[box]]
