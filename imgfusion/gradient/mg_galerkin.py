"""The Galerkin product P^T A P that gives :mod:`.mgpcg`'s coarse levels (numba).

P is the prolongation described in :mod:`.mg_coarse` (bilinear from the even
pixels, the far-edge copy, orphans on their floor pixel); A is the fine
level's operator, the 5-point one of ``diag`` or a 9-point ``stencil``.  The
product is gathered point by point from the rows of P around each coarse
point; the points whose whole neighbourhood is regular region share one row.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_OPTS = dict(cache=True, fastmath=True, nogil=True)


@njit(**_OPTS)
def _w1(ip, ic, hc):
    """Bilinear weight of padded coarse index ``ic`` at padded fine index ``ip``."""
    d = (ip - 1) - 2 * (ic - 1)
    if d == 0:
        return 1.0
    if d == 1:  # coarse point below an odd fine index: all of it at the far edge
        return 1.0 if ip // 2 >= hc else 0.5
    return 0.5 if d == -1 else 0.0


@njit(**_OPTS)
def _fine_coefficient(stencil, diag, ip, jp, kk):
    """A[(ip, jp), neighbour kk] of the fine level (5-point when ``stencil`` is empty)."""
    if stencil.shape[0]:
        return stencil[kk, ip, jp]
    di, dj = kk // 3 - 1, kk % 3 - 1
    if di == 0 and dj == 0:
        return diag[ip, jp]
    if di != 0 and dj != 0:
        return 0.0
    return -1.0 if diag[ip + di, jp + dj] > 0 else 0.0


@njit(**_OPTS)
def parents(ip, jp, orphan, kind, hc, wc, pi, pj, pw):
    """Fill (pi, pj, pw) with the coarse points of fine pixel (ip, jp) and their
    weights (a row of P); return how many (at most 4)."""
    if orphan[ip, jp]:
        pi[0], pj[0], pw[0] = (ip - 1) // 2 + 1, (jp - 1) // 2 + 1, 1.0
        return 1
    n = 0
    lo_i, lo_j = (ip - 1) // 2 + 1, (jp - 1) // 2 + 1
    for ci in range(lo_i, lo_i + 1 + (ip - 1) % 2):
        wi = _w1(ip, ci, hc)
        if wi == 0:
            continue
        for cj in range(lo_j, lo_j + 1 + (jp - 1) % 2):
            wj = _w1(jp, cj, wc)
            if wj != 0 and kind[ci, cj] == 1:
                pi[n], pj[n], pw[n] = ci, cj, wi * wj
                n += 1
    return n


@njit(**_OPTS)
def _window_parents(diag, orphan, kind, ic, jc, parent_lists, first):
    """Parents (rows of P) of the 5 x 5 fine pixels around 2K, each computed once, in
    the window's columns from ``first`` on (the others are already there)."""
    hc, wc = kind.shape[0] - 3, kind.shape[1] - 3
    pi, pj, pw, pn = parent_lists
    for a in range(5):
        for b in range(first, 5):
            ip, jp, t = 2 * ic - 3 + a, 2 * jc - 3 + b, 5 * a + b
            pn[t] = 0
            if 0 <= ip < diag.shape[0] and 0 <= jp < diag.shape[1] and diag[ip, jp] > 0:
                pn[t] = parents(ip, jp, orphan, kind, hc, wc, pi[t], pj[t], pw[t])


@njit(**_OPTS)
def _shift_window(parent_lists, step):
    """Move the window's parents ``step`` coarse columns right (2 * step fine columns):
    the columns both windows share are kept; returns the first column to compute."""
    pi, pj, pw, pn = parent_lists
    first = 5 - 2 * step
    for a in range(5):
        for b in range(first):
            t, u = 5 * a + b, 5 * a + b + 2 * step
            pn[t] = pn[u]
            for s in range(pn[u]):
                pi[t, s], pj[t, s], pw[t, s] = pi[u, s], pj[u, s], pw[u, s]
    return first


@njit(**_OPTS)
def galerkin_point(stencil, diag, orphan, kind, ic, jc, out, parent_lists, first=0):
    """out[9] = row (ic, jc) of P^T A P, gathered from the fine pixels around 2K (the
    window's parents before column ``first`` are already in ``parent_lists``).

    First y = A P e_K on the 5 x 5 window, then out = P^T y: 25 rows of P to
    apply instead of 81 (each of A's 81 entries times its neighbour's row of P,
    as first written, took 1.45x as long), with the same sums (P's weights are
    powers of two).
    """
    pi, pj, pw, pn = parent_lists
    _window_parents(diag, orphan, kind, ic, jc, parent_lists, first)
    y = np.zeros(25)
    for a in range(1, 4):
        for b in range(1, 4):
            ip, jp, t = 2 * ic - 3 + a, 2 * jc - 3 + b, 5 * a + b
            wk = 0.0  # P[p, K]
            for s in range(pn[t]):
                if pi[t, s] == ic and pj[t, s] == jc:
                    wk = pw[t, s]
            if wk == 0:
                continue
            for kk in range(9):  # A is symmetric: A[q, p] = A[p, q]
                y[t + 5 * (kk // 3 - 1) + (kk % 3 - 1)] += wk * _fine_coefficient(
                    stencil, diag, ip, jp, kk)
    out[:] = 0.0
    for q in range(25):
        if y[q] != 0:
            for s in range(pn[q]):
                out[(pi[q, s] - ic + 1) * 3 + (pj[q, s] - jc + 1)] += y[q] * pw[q, s]


@njit(**_OPTS)
def galerkin(stencil, diag, orphan, kind, far, coarse):
    """``coarse`` = P^T A P (9 arrays); points flagged ``far`` share one stencil.

    A far point's whole neighbourhood is regular region, so its row equals
    that of any other far point: it is computed once and copied.  The other
    points go in row order, and a point one or two columns right of the last
    one keeps the parents of the fine columns their windows share.  Measured on
    the 1024^2 bench region (3,859 such points over five levels, one thread):
    5.5 ms, 4.8 with the parents kept, 3.3 with :func:`galerkin_point`'s y first.
    """
    hc, wc = kind.shape[0] - 3, kind.shape[1] - 3
    row, common = np.empty(9), np.empty(9)
    scratch = (np.empty((25, 4), np.int64), np.empty((25, 4), np.int64),
               np.empty((25, 4)), np.empty(25, np.int64))
    for ic in range(1, hc + 1):  # the far points' row, from the first of them
        for jc in range(1, wc + 1):
            if far[ic, jc] and kind[ic, jc] != 0:
                galerkin_point(stencil, diag, orphan, kind, ic, jc, common, scratch)
                break
        else:
            continue
        break
    last_ic, last_jc = -1, -1  # the point whose window ``scratch`` holds
    for ic in range(1, hc + 1):
        for jc in range(1, wc + 1):
            if kind[ic, jc] == 0:
                continue
            if far[ic, jc]:
                for kk in range(9):  # element by element: a slice per point costs more
                    coarse[kk, ic, jc] = common[kk]
                continue
            step = jc - last_jc if ic == last_ic else 0
            first = _shift_window(scratch, step) if 0 < step <= 2 else 0
            galerkin_point(stencil, diag, orphan, kind, ic, jc, row, scratch, first)
            last_ic, last_jc = ic, jc
            for kk in range(9):
                coarse[kk, ic, jc] = row[kk]
