"""Compiled (numba) stencils of the finest level of :mod:`.mgpcg` and its CG steps.

Every grid array is *padded*: channels first, shape ``(C, h + 3, w + 3)``, the
level's cells at ``[1:h + 1, 1:w + 1]`` and zeros around them (one pad row/column
before, two after, so that the restriction of an odd-sized level reads zeros).
The finest level is described by two float32 arrays of shape ``(h + 3, w + 3)``:
``diag`` = |N_p| on the region's cells and 0 elsewhere, and ``invd`` = 1/|N_p|
there and 0 elsewhere.  Values outside the region are always 0, so::

    (A x)_p = diag_p x_p - sum_{q in N_p} x_q          (p in the region; 0 elsewhere)

The passes are memory-bound, so they are fused where the algebra allows and
run over rows in parallel (``prange``) with the channels inside, so a row of
``diag`` serves every channel from cache.  Each row is computed for all its
columns (vectorised) even where a colour or the region keeps only some.  Dot
products accumulate in float64 whatever the arrays' type.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .mg_coarse import fold_columns, prolong_row

_SERIAL = dict(cache=True, fastmath=True, nogil=True)
_OPTS = dict(parallel=True, **_SERIAL)


@njit(inline="always", **_SERIAL)
def _update_row(x, b, invd, i, colour):
    """Gauss-Seidel update of row i's cells of one colour, every channel.

    Only the colour's cells are computed, in place: their neighbours in the
    row are of the other colour.  The rows are viewed from the colour's first
    cell less one, so every index is a non-negative stride-2 offset that LLVM
    vectorises (computing the whole row and writing back every other cell
    took 1.4-2x as long: 2.2-3.1 -> 1.5-1.6 ms a sweep at 777^2, 3 channels).
    """
    nc, hp, wp = x.shape
    s = (i + 1 + colour) % 2  # the colour's first cell is padded column 1 + s
    for c in range(nc):
        xm, x0, xp = x[c, i - 1, s:], x[c, i, s:], x[c, i + 1, s:]
        bb, dd = b[c, i, s:], invd[i, s:]
        for q in range((wp - 2 - s) // 2):
            j = 2 * q + 1
            x0[j] = dd[j] * (bb[j] + xm[j] + xp[j] + x0[j - 1] + x0[j + 1])


@njit(inline="always", **_SERIAL)
def _row_dot(x, b, i, out):
    for c in range(x.shape[0]):
        s = 0.0
        for j in range(1, x.shape[2] - 2):
            s += b[c, i, j] * x[c, i, j]
        out[i, c] = s


@njit(inline="always", **_SERIAL)
def _prolong_rows(xc, m1, diag, x, i, lo, hi, work):
    """``x += P xc`` on row i when lo <= i <= hi (every channel)."""
    if lo <= i <= hi:
        for c in range(x.shape[0]):
            prolong_row(xc, m1, diag, x, i, c, work[0], work[1])


@njit(**_OPTS)
def prolong_smooth_back(xc, m1, diag, x, b, invd, blocks):
    """``x += P xc`` (no orphans), then the adjoint of :func:`smooth_restrict`'s sweep
    (black, then red); returns <b, x>.  One pass over memory for the three.

    After the coarse correction the sweep makes the V-cycle symmetric, as
    conjugate gradients need; <b, x> is CG's <r, z>.  Each block of rows
    prolongs row i + 1, updates black row i, then red row i - 1 (whose black
    neighbours are then final).  A block's first and last rows are prolonged
    first, since the neighbouring blocks read them, and its first and last red
    rows wait for a last pass; the result is the separate passes', exactly.
    """
    nc, hp, wp = x.shape
    n = hp - 3
    out = np.zeros((hp, nc))
    for blk in prange(blocks):
        r0, r1 = 1 + blk * n // blocks, 1 + (blk + 1) * n // blocks
        work = np.zeros((2, max(wp, xc.shape[2])), np.float32)
        _prolong_rows(xc, m1, diag, x, r0, r0, r1 - 1, work)
        _prolong_rows(xc, m1, diag, x, r1 - 1, r0 + 1, r1 - 1, work)
    for blk in prange(blocks):
        r0, r1 = 1 + blk * n // blocks, 1 + (blk + 1) * n // blocks
        work = np.zeros((2, max(wp, xc.shape[2])), np.float32)
        for i in range(r0, r1):
            _prolong_rows(xc, m1, diag, x, i + 1, r0 + 1, r1 - 2, work)
            _update_row(x, b, invd, i, 1)
            if i - 1 > r0:
                _update_row(x, b, invd, i - 1, 0)
                _row_dot(x, b, i - 1, out)
    for blk in prange(blocks):
        r0, r1 = 1 + blk * n // blocks, 1 + (blk + 1) * n // blocks
        if r1 > r0:
            _update_row(x, b, invd, r0, 0)
            _row_dot(x, b, r0, out)
        if r1 - 1 > r0:
            _update_row(x, b, invd, r1 - 1, 0)
            _row_dot(x, b, r1 - 1, out)
    return out.sum(axis=0)


@njit(inline="always", **_SERIAL)
def _zero_sweep_row(b, invd, c, i, out):
    """Row i of channel c of a red-black Gauss-Seidel sweep from x = 0 (0 off the grid).

    Red cells ((row + col) even, padded) become ``invd b``; black cells, whose
    neighbours are all red, ``invd (b + sum of the neighbours' invd b)``: a
    row needs b alone, no other row of x.
    """
    if i < 1 or i > b.shape[1] - 3:
        out[:] = 0
        return
    for j in range(1, b.shape[2] - 2):
        black = invd[i, j] * (b[c, i, j] + invd[i - 1, j] * b[c, i - 1, j]
                              + invd[i + 1, j] * b[c, i + 1, j]
                              + invd[i, j - 1] * b[c, i, j - 1]
                              + invd[i, j + 1] * b[c, i, j + 1])
        out[j] = black if (i + j) % 2 else invd[i, j] * b[c, i, j]


@njit(inline="always", **_SERIAL)
def _window_residual(xw, b, diag, c, i, out):
    """``out`` = row i of channel c of ``b - A x``, x's rows i - 1..i + 1 read from the
    ring ``xw`` (row k in slot k % 3); 0 off the region and off the grid."""
    if i < 1 or i > b.shape[1] - 3:
        out[:] = 0
        return
    lo, mid, hi = xw[c, (i + 2) % 3], xw[c, i % 3], xw[c, (i + 1) % 3]
    for j in range(1, b.shape[2] - 2):
        v = b[c, i, j] - (diag[i, j] * mid[j] - lo[j] - hi[j] - mid[j - 1] - mid[j + 1])
        out[j] = v if diag[i, j] > 0 else np.float32(0.0)


@njit(inline="always", **_SERIAL)
def _sweep_into(x, xw, b, invd, c, i, own):
    """Row i of the sweep from zero into the ring, and into x when block ``own``s it."""
    _zero_sweep_row(b, invd, c, i, xw[c, i % 3])
    if own[0] <= i <= own[1]:
        x[c, i, 1:x.shape[2] - 2] = xw[c, i % 3, 1:x.shape[2] - 2]


@njit(**_OPTS)
def smooth_restrict(x, b, invd, diag, m1, out, blocks):
    """A red-black sweep from x = 0 (:func:`_zero_sweep_row`), then ``out = P^T (b - A x)``
    on point-active coarse cells (orphans: :func:`orphan_residuals`), in one pass.

    Each block of coarse rows sweeps the fine rows it needs into a ring of
    three rows and forms the residual rows from the ring, never storing them
    (the row shared by two coarse rows is kept); it writes into x only the
    fine rows it owns, so blocks never race.  Vertex-centred transfer: coarse
    point K is fine pixel 2K.
    """
    nc, hp, wp = x.shape
    hc = out.shape[1] - 3
    half = np.float32(0.5)
    wr_last = np.float32(1.0 if (hp - 3) % 2 == 0 else 0.5)
    wc_last = np.float32(1.0 if (wp - 3) % 2 == 0 else 0.5)
    for blk in prange(blocks):
        ic0, ic1 = 1 + blk * hc // blocks, 1 + (blk + 1) * hc // blocks
        own = (1 if blk == 0 else 2 * ic0 - 1, hp - 3 if blk == blocks - 1 else 2 * ic1 - 2)
        xw = np.zeros((nc, 3, wp), np.float32)
        rows = np.zeros((nc, 3, wp), np.float32)
        t = np.empty(wp, np.float32)
        for c in range(nc if ic1 > ic0 else 0):
            for i in range(2 * ic0 - 3, 2 * ic0):
                _sweep_into(x, xw, b, invd, c, i, own)
        for ic in range(ic0, ic1):
            i0 = 2 * ic - 2
            w2 = wr_last if ic == hc else half
            for c in range(nc):
                if ic == ic0:
                    _window_residual(xw, b, diag, c, i0, rows[c, 0])
                else:
                    rows[c, 0, :] = rows[c, 2, :]
                _sweep_into(x, xw, b, invd, c, i0 + 2, own)
                _window_residual(xw, b, diag, c, i0 + 1, rows[c, 1])
                _sweep_into(x, xw, b, invd, c, i0 + 3, own)
                _window_residual(xw, b, diag, c, i0 + 2, rows[c, 2])
                for j in range(wp):
                    t[j] = half * rows[c, 0, j] + rows[c, 1, j] + w2 * rows[c, 2, j]
                fold_columns(t, m1, ic, wc_last, out[c])


@njit(**_SERIAL)
def orphan_residuals(x, b, diag, fine_idx, coarse_idx, out):
    """Add the orphans' residuals to their coarse parents (the rest of P^T r)."""
    for c in range(x.shape[0]):
        for n in range(fine_idx.shape[0]):
            i, j = fine_idx[n, 0], fine_idx[n, 1]
            v = b[c, i, j] - (diag[i, j] * x[c, i, j] - x[c, i - 1, j] - x[c, i + 1, j]
                              - x[c, i, j - 1] - x[c, i, j + 1])
            out[c, coarse_idx[n, 0], coarse_idx[n, 1]] += v


@njit(**_OPTS)
def divergence_rhs(region, fstar, gh, gv, out):
    """Padded right-hand side of Pérez Eq. 7 (channels first) from (h, w, C) inputs.

    ``out[c, p] = sum_q v_pq + sum_{q outside the region} f*_q`` on the region's
    cells (0 on the others), with v_pq read off ``gh``/``gv`` as in :mod:`.system`; image-edge
    neighbours are skipped (truncated neighbourhood).
    """
    h, w, nc = fstar.shape
    for i in prange(h):
        for j in range(w):
            for c in range(nc):
                s = 0.0
                if not region[i, j]:
                    out[c, i + 1, j + 1] = s
                    continue
                if j + 1 < w:
                    s -= gh[i, j, c]
                    if not region[i, j + 1]:
                        s += fstar[i, j + 1, c]
                if j > 0:
                    s += gh[i, j - 1, c]
                    if not region[i, j - 1]:
                        s += fstar[i, j - 1, c]
                if i + 1 < h:
                    s -= gv[i, j, c]
                    if not region[i + 1, j]:
                        s += fstar[i + 1, j, c]
                if i > 0:
                    s += gv[i - 1, j, c]
                    if not region[i - 1, j]:
                        s += fstar[i - 1, j, c]
                out[c, i + 1, j + 1] = s


@njit(inline="always", **_SERIAL)
def _pull(s, region, fstar, g, inside, i, j, ii, jj, c):
    """``s`` plus neighbour (ii, jj)'s share of the right-hand side at (i, j): g's
    difference, or f*'s where the edge leaves ``inside`` (None: everywhere inside)."""
    if inside is None:
        s += np.float64(g[i, j, c]) - g[ii, jj, c]
    elif inside[i, j] and inside[ii, jj]:
        s += np.float64(g[i, j, c]) - g[ii, jj, c]
    else:
        s += np.float64(fstar[i, j, c]) - fstar[ii, jj, c]
    return s + fstar[ii, jj, c] if not region[ii, jj] else s


@njit(**_OPTS)
def guide_rhs(region, fstar, g, inside, out):
    """:func:`divergence_rhs` for the field of ``g``'s own gradient (v_pq = g_p - g_q;
    f*'s own difference on edges leaving ``inside``, when it is not None), formed in
    float64 without spelling the differences out (1.16x faster with the channels outside
    the columns: 5.0 -> 4.3 ms on a 777^2 region, 3 channels, one thread)."""
    h, w, nc = fstar.shape
    for i in prange(h):
        for c in range(nc):  # channels outside: out's rows are written in order
            for j in range(w):
                s = 0.0
                if region[i, j]:
                    if j + 1 < w:
                        s = _pull(s, region, fstar, g, inside, i, j, i, j + 1, c)
                    if j > 0:
                        s = _pull(s, region, fstar, g, inside, i, j, i, j - 1, c)
                    if i + 1 < h:
                        s = _pull(s, region, fstar, g, inside, i, j, i + 1, j, c)
                    if i > 0:
                        s = _pull(s, region, fstar, g, inside, i, j, i - 1, j, c)
                out[c, i + 1, j + 1] = s


@njit(**_OPTS)
def copy_region(image, region, x, to_padded, clip=False):
    """``x[c, i + 1, j + 1] = image[i, j, c]`` on the region and 0 off it (x padded,
    channels first) when ``to_padded``; the converse, ``image[i, j, c] = x[c, i + 1,
    j + 1]`` on the region only, when not (clipped to [0, 1] when ``clip``)."""
    h, w, nc = image.shape
    for i in prange(h):
        for j in range(w):
            for c in range(nc):
                if to_padded:
                    x[c, i + 1, j + 1] = image[i, j, c] if region[i, j] else 0.0
                elif region[i, j] and clip:
                    image[i, j, c] = min(max(x[c, i + 1, j + 1], 0.0), 1.0)
                elif region[i, j]:
                    image[i, j, c] = x[c, i + 1, j + 1]


@njit(**_SERIAL)
def finest_diag(region, top, bottom, left, right):
    """The finest level's padded ``diag``: |N_p| on the region, 4 less the truncated
    sides (top, bottom, left, right: where the crop meets the image's edge) p lies on."""
    h, w = region.shape
    diag = np.zeros((h + 3, w + 3), np.float32)
    for i in range(h):
        cut = (top and i == 0) + (bottom and i == h - 1)
        for j in range(w):
            if region[i, j]:
                diag[i + 1, j + 1] = 4 - cut - (left and j == 0) - (right and j == w - 1)
    return diag


@njit(cache=True, nogil=True)  # no fastmath: a correctly rounded division
def positive_inverse(d):
    """1 / d where d > 0, 0 elsewhere (2-D float32)."""
    out = np.zeros_like(d)
    one = np.float32(1.0)
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            out[i, j] = one / d[i, j] if d[i, j] > 0 else np.float32(0.0)
    return out
