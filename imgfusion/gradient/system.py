"""The discrete Poisson system of Pérez et al. (Eq. 7) on a masked grid.

A guidance field is given on the grid's edges as two arrays of *desired forward
differences*: ``gh[r, c]`` wants ``f[r, c+1] - f[r, c]`` and ``gv[r, c]`` wants
``f[r+1, c] - f[r, c]`` (one value per channel).  For every pixel p of the
region Omega::

    |N_p| f_p - sum_{q in N_p & Omega} f_q = sum_{q in N_p \\ Omega} f*_q + sum_{q in N_p} v_pq

with ``v_pq`` read off the edge between p and q.  ``N_p`` only holds neighbours
inside the image, so a region touching the image edge gets the paper's truncated
neighbourhood.  The unknowns are the region's pixels only, so the matrix is
symmetric positive-definite whenever the region is not the whole image.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

# (left/top pixels, right/bottom pixels) of the horizontal and vertical edges
EDGES = ((np.s_[:, :-1], np.s_[:, 1:]), (np.s_[:-1, :], np.s_[1:, :]))


def forward_differences(image: np.ndarray, dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """Edge fields (gh, gv) of an H x W x C image: its own forward differences.

    ``dtype`` (default: the image's) is the one they are computed in; float64
    differences of float32 pixels are exact.
    """
    return (np.subtract(image[:, 1:], image[:, :-1], dtype=dtype),
            np.subtract(image[1:, :], image[:-1, :], dtype=dtype))


class EdgeField(NamedTuple):
    """A guidance field as desired forward differences (gh, gv), see the module's docstring."""
    gh: np.ndarray
    gv: np.ndarray

    def cropped(self, crop: tuple[slice, slice]) -> "EdgeField":
        rows, cols = crop
        return EdgeField(self.gh[rows, cols.start:cols.stop - 1],
                         self.gv[rows.start:rows.stop - 1, cols])

    def edges(self, fstar: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.gh, self.gv

    def channels(self, which) -> "EdgeField":
        return EdgeField(self.gh[:, :, which], self.gv[:, :, which])

    def padded_rhs(self, region: np.ndarray, fstar: np.ndarray, out: np.ndarray) -> None:
        """Write Eq. 7's right-hand side into ``out`` (padded, see :mod:`.mg_kernels`)."""
        from .mg_kernels import divergence_rhs as fill

        fill(region, fstar, self.gh, self.gv, out)


class GuideField(NamedTuple):
    """The guidance field of an image's own gradient: v_pq = g_p - g_q (Pérez Eq. 11),
    and f*'s own difference f*_p - f*_q on the edges that leave ``inside`` (where g
    holds: the pasted source), when it is given.

    Kept as the image (C values a pixel) rather than as its float64 differences
    (2C values a pixel): :meth:`padded_rhs` forms the right-hand side from it
    directly, and :meth:`edges` spells the differences out only for the
    solvers that take them.
    """
    image: np.ndarray
    inside: np.ndarray | None = None

    def cropped(self, crop: tuple[slice, slice]) -> "GuideField":
        return GuideField(self.image[crop], None if self.inside is None else self.inside[crop])

    def edges(self, fstar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        own = forward_differences(self.image, np.float64)
        if self.inside is None:
            return own
        return tuple(np.where((self.inside[lo] & self.inside[hi])[:, :, None], g, t)
                     for (lo, hi), g, t in zip(EDGES, own, forward_differences(fstar, np.float64)))

    def channels(self, which) -> "GuideField":
        return GuideField(self.image[:, :, which], self.inside)

    def padded_rhs(self, region: np.ndarray, fstar: np.ndarray, out: np.ndarray) -> None:
        from .mg_kernels import guide_rhs

        guide_rhs(region, fstar, self.image, self.inside, out)


def divergence_rhs(region: np.ndarray, fstar: np.ndarray, gh: np.ndarray, gv: np.ndarray,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel right-hand side and neighbour count |N_p| over the whole grid.

    ``rhs[p] = sum_q v_pq + sum_{q outside region} f*_q`` for every pixel p (only
    the region's pixels are meaningful); ``count[p] = |N_p|``.
    """
    h, w, c = fstar.shape
    rhs = np.zeros((h, w, c))
    count = np.zeros((h, w))
    outside = ~region
    for (lo, hi), g in zip(EDGES, (gh, gv)):
        count[lo] += 1
        count[hi] += 1
        rhs[lo] -= g
        rhs[hi] += g
        rhs[lo] += fstar[hi] * outside[hi][:, :, None]
        rhs[hi] += fstar[lo] * outside[lo][:, :, None]
    return rhs, count


def assemble(region: np.ndarray, fstar: np.ndarray, gh: np.ndarray, gv: np.ndarray,
             ) -> tuple[sp.csr_matrix, np.ndarray]:
    """The SPD matrix A (n x n) and right-hand sides B (n x C) of the region."""
    rhs, _ = divergence_rhs(region, fstar, gh, gv)
    return matrix(region), rhs[region]


def matrix(region: np.ndarray) -> sp.csr_matrix:
    """The region's SPD matrix A, which depends on the region alone.

    Unknowns are numbered in row-major order, so each row's entries (up, left,
    self, right, down) are already sorted and the CSR arrays are built directly,
    fully vectorised.  |N_p| counts the neighbours inside the array.
    """
    h, w = region.shape
    n = int(region.sum())
    index = np.full((h + 2, w + 2), -1, dtype=np.int64)
    index[1:-1, 1:-1][region] = np.arange(n)
    rows, cols = np.arange(h)[:, None], np.arange(w)[None, :]
    count = ((rows > 0).astype(float) + (rows < h - 1) + (cols > 0) + (cols < w - 1))
    centre = np.s_[1:-1, 1:-1]
    up, left = index[:-2, 1:-1][region], index[1:-1, :-2][region]
    right, down = index[1:-1, 2:][region], index[2:, 1:-1][region]
    neighbours = np.stack([up, left, index[centre][region], right, down], axis=1)
    data = np.full(neighbours.shape, -1.0)
    data[:, 2] = count[region]
    keep = neighbours >= 0
    indptr = np.concatenate([[0], np.cumsum(keep.sum(axis=1))])
    return sp.csr_matrix((data[keep], neighbours[keep], indptr), shape=(n, n))


def relative_residual(a: sp.spmatrix, x: np.ndarray, b: np.ndarray) -> float:
    """max over channels of ||b - A x|| / ||b|| (||b|| = 0 counts as 1)."""
    r = np.linalg.norm(b - a @ x, axis=0)
    nb = np.linalg.norm(b, axis=0)
    return float(np.max(r / np.where(nb > 0, nb, 1.0)))
