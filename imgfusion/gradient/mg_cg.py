"""The conjugate-gradient side of :mod:`.mgpcg`: its passes over the finest level (numba)
and the mixed-precision refinement that drives them.

Arrays are padded as in :mod:`.mg_kernels`; ``diag`` is the finest level's
|N_p| (0 off the region), so ``(A x)_p = diag_p x_p - sum_{q in N_p} x_q``.
Each pass runs over rows in parallel with the channels inside; dot products
accumulate in float64 whatever the arrays' type.  Passes that need a row's
neighbours after updating them work in blocks of rows, one row behind, the
blocks' first and last rows left to a second, short pass (:func:`_rows_of`).

**Refinement.** The residual of the float64 iterate is formed in float64, the
correction is solved by float32 PCG (float64 dot products) to a relative
reduction of at least :data:`INNER_REDUCTION`, and added back in float64,
until the float64 residual meets ``tol``.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

INNER_REDUCTION = 1e-4   # float32 PCG reliably reduces its residual this far
MAX_ITERATIONS = 500

_SERIAL = dict(cache=True, fastmath=True, nogil=True)
_OPTS = dict(parallel=True, **_SERIAL)


@njit(inline="always", **_SERIAL)
def _rows_of(blk, n, blocks):
    """The padded rows [r0, r1) of block ``blk`` of ``blocks`` over n rows."""
    return 1 + blk * n // blocks, 1 + (blk + 1) * n // blocks


@njit(inline="always", **_SERIAL)
def _residual_row(x, b, diag, r, i, out):
    """Row i of ``r = b - A x`` (0 off the region); out[i, c] = (||r_i||^2, ||b_i||^2)."""
    for c in range(x.shape[0]):
        sr, sb = 0.0, 0.0
        for j in range(1, x.shape[2] - 2):
            d = diag[i, j]
            v = b[c, i, j] - (d * x[c, i, j] - x[c, i - 1, j] - x[c, i + 1, j]
                              - x[c, i, j - 1] - x[c, i, j + 1])
            v = v if d > 0 else 0.0
            r[c, i, j] = v
            sr += v * v
            sb += b[c, i, j] * b[c, i, j]
        out[i, c, 0], out[i, c, 1] = sr, sb


@njit(inline="always", **_SERIAL)
def _add_row(x, e, i):
    for c in range(x.shape[0]):
        for j in range(1, x.shape[2] - 2):
            x[c, i, j] += e[c, i, j]


@njit(inline="always", **_SERIAL)
def _start_row(x, image, region, i):
    """Row i of x (padded) = ``image``'s row i - 1 (channels last) on the region, 0 off it."""
    for c in range(x.shape[0]):
        for j in range(1, x.shape[2] - 2):
            x[c, i, j] = image[i - 1, j - 1, c] if region[i - 1, j - 1] else 0.0


@njit(inline="always", **_SERIAL)
def _rows_then_residual(x, b, diag, r, blocks, image, e, region):
    """Fill x row by row (``x = image`` on the region when ``e`` is empty, else ``x += e``)
    and form the residual one row behind: (||b - A x||^2, ||b||^2) per channel."""
    nc, hp, wp = x.shape
    out = np.zeros((hp, nc, 2))
    for blk in prange(blocks):
        r0, r1 = _rows_of(blk, hp - 3, blocks)
        for i in range(r0, r1):
            if e.shape[0]:
                _add_row(x, e, i)
            else:
                _start_row(x, image, region, i)
            if i - 1 > r0:
                _residual_row(x, b, diag, r, i - 1, out)
    for blk in prange(blocks):
        r0, r1 = _rows_of(blk, hp - 3, blocks)
        if r1 > r0:
            _residual_row(x, b, diag, r, r0, out)
        if r1 - 1 > r0:
            _residual_row(x, b, diag, r, r1 - 1, out)
    return out[:, :, 0].sum(axis=0), out[:, :, 1].sum(axis=0)


@njit(**_OPTS)
def add_residual_norms(x, e, b, diag, r, blocks):
    """``x += e``, then the residual's norms, in one pass over memory."""
    none = np.zeros((0, 0), np.bool_)
    return _rows_then_residual(x, b, diag, r, blocks, np.zeros((0, 0, 0), np.float32), e,
                               none)


@njit(**_OPTS)
def start_residual_norms(image, region, x, b, diag, r, blocks):
    """``x = image`` on the region (channels last, unpadded; 0 off it), then
    the residual's norms, in one pass over memory."""
    return _rows_then_residual(x, b, diag, r, blocks, image, np.zeros((0, 0, 0), x.dtype),
                               region)


@njit(**_OPTS)
def step(x, r, p, diag, alpha, first):
    """``x += alpha p`` (``x = alpha p`` when ``first``: x need not be cleared), ``r -=
    alpha A p`` per channel (A p recomputed); returns ||r||^2."""
    nc, hp, wp = x.shape
    out = np.zeros((hp, nc))
    for i in prange(1, hp - 2):
        for c in range(nc):
            a = alpha[c]
            s = 0.0
            for j in range(1, wp - 2):
                d = diag[i, j]
                ap = d * p[c, i, j] - p[c, i - 1, j] - p[c, i + 1, j] - p[c, i, j - 1] \
                    - p[c, i, j + 1]
                v = r[c, i, j] - a * ap if d > 0 else r[c, i, j]
                r[c, i, j] = v
                x[c, i, j] = a * p[c, i, j] if first else x[c, i, j] + a * p[c, i, j]
                s += v * v
            out[i, c] = s
    return out.sum(axis=0)


@njit(inline="always", **_SERIAL)
def _row_pap(p, diag, i, out):
    """Row i's share of <p, A p> per channel (A p is not stored)."""
    for c in range(p.shape[0]):
        s = 0.0
        for j in range(1, p.shape[2] - 2):
            d = diag[i, j]
            v = d * p[c, i, j] - p[c, i - 1, j] - p[c, i + 1, j] - p[c, i, j - 1] \
                - p[c, i, j + 1]
            s += p[c, i, j] * v if d > 0 else 0.0
        out[i, c] = s


@njit(**_OPTS)
def energy(p, diag):
    """<p, A p> per channel."""
    nc, hp, wp = p.shape
    out = np.zeros((hp, nc))
    for i in prange(1, hp - 2):
        _row_pap(p, diag, i, out)
    return out.sum(axis=0)


@njit(**_OPTS)
def new_direction(p, z, beta, diag, blocks):
    """``p = z + beta p`` per channel; returns <p, A p> of the new p (CG's next step),
    in one pass over memory."""
    nc, hp, wp = p.shape
    out = np.zeros((hp, nc))
    for blk in prange(blocks):
        r0, r1 = _rows_of(blk, hp - 3, blocks)
        for i in range(r0, r1):
            for c in range(nc):
                bt = beta[c]
                for j in range(1, wp - 2):
                    p[c, i, j] = z[c, i, j] + bt * p[c, i, j]
            if i - 1 > r0:
                _row_pap(p, diag, i - 1, out)
    for blk in prange(blocks):
        r0, r1 = _rows_of(blk, hp - 3, blocks)
        if r1 > r0:
            _row_pap(p, diag, r0, out)
        if r1 - 1 > r0:
            _row_pap(p, diag, r1 - 1, out)
    return out.sum(axis=0)


@njit(**_OPTS)
def dot(u, v):
    """Per channel <u, v> over the cells (float64)."""
    nc, hp, wp = u.shape
    out = np.zeros((hp, nc))
    for i in prange(1, hp - 2):
        for c in range(nc):
            s = 0.0
            for j in range(1, wp - 2):
                s += u[c, i, j] * v[c, i, j]
            out[i, c] = s
    return out.sum(axis=0)


def pcg32(hier, r: np.ndarray, rr: np.ndarray, reduction: np.ndarray, budget: int):
    """Solve ``A e = r`` (float32, padded) by PCG preconditioned by ``hier.vcycle`` until
    ||r|| (now ``sqrt(rr)`` per channel) shrinks by ``reduction``.

    ``r`` is overwritten; ``e`` is one of the finest level's buffers, valid
    until the next call.  Returns (e, iterations per channel).
    """
    finest, nc = hier.levels[0], r.shape[0]
    e, z, p = (finest.buffer(name, nc) for name in ("e", "z", "p"))
    blocks = 4 * numba.get_num_threads()
    rz = hier.vcycle(r, z)
    z, p = p, z  # the first direction is z itself: the buffers swap roles
    pap = energy(p, finest.diag)
    goal = rr * reduction ** 2
    active = goal > 0
    its = np.zeros(nc, int)
    while active.any() and its.max() < budget:
        alpha = np.where(active & (pap > 0), rz / np.where(pap > 0, pap, 1), 0.0)
        rr = step(e, r, p, finest.diag, alpha.astype(np.float32), its.max() == 0)
        its += active
        active &= rr > goal
        if not active.any():
            break
        rz_next = hier.vcycle(r, z)
        beta = np.where(active & (rz > 0), rz_next / np.where(rz > 0, rz, 1), 0.0)
        pap = new_direction(p, z, beta.astype(np.float32), finest.diag, blocks)
        rz = rz_next
    return e, its


def solve(hier, b: np.ndarray, x: np.ndarray, tol: float, start: np.ndarray, region):
    """Refine the float64 padded iterate ``x``, first ``start`` (h, w, C) on ``region``,
    in place until max_c ||b - A x|| / ||b|| <= tol.

    Returns (relative residual, iterations per channel).
    """
    finest = hier.levels[0]
    r = finest.buffer("r32", b.shape[0])  # float32: the float64 residual, rounded
    blocks = 4 * numba.get_num_threads()
    rr, bb = start_residual_norms(start, region, x, b, finest.diag, r, blocks)
    nb = np.sqrt(np.where(bb > 0, bb, 1.0))
    its = np.zeros(b.shape[0], int)
    while True:
        rel = np.sqrt(rr) / nb
        if (rel <= tol).all() or its.max() >= MAX_ITERATIONS:
            return float(rel.max()), its.tolist()
        reduction = np.clip(0.5 * tol / np.where(rel > 0, rel, 1), INNER_REDUCTION, 1.0)
        e, inner = pcg32(hier, r, rr, np.where(rel > tol, reduction, 0.0),
                         MAX_ITERATIONS - its.max())
        its += inner
        rr, _ = add_residual_norms(x, e, b, finest.diag, r, blocks)
