"""Grid transfers and coarse-level stencils of :mod:`.mgpcg` (numba).

Coarse points sit on the fine grid's even pixels (vertex-centred coarsening):
coarse point K is fine pixel 2K.  Prolongation P is bilinear: a fine pixel
takes its even neighbours' values with weights 1 (itself even), 1/2 (odd
along one axis) or 1/4 (odd along both); a coarse point counts only when its
fine pixel is in the region ("point-active", ``kind`` 1), otherwise it is a
Dirichlet zero.  Two repairs keep P exact where it would fail:

* at the array's far edge an odd last pixel has no upper neighbour; it copies
  its lower one (weight 1), so constants survive at truncated image edges
  (elsewhere the coarse grid gets one more point, outside the region:
  :func:`.mgpcg.coarse_size`);
* a region pixel none of whose even neighbours lies in the region (a one-pixel
  line on odd rows, say) would get no coarse correction at all; such
  *orphans* hang on their floor pixel ``(i // 2, j // 2)`` with weight 1, which
  becomes a coarse point of its own (``kind`` 2) used by orphans only.

Every coarse point then owns a fine row (its own pixel, or private orphans),
so P has full column rank and the Galerkin operator P^T A P, a symmetric
9-point stencil stored as ``S[(di + 1) * 3 + (dj + 1), i, j]`` (computed by
:mod:`.mg_galerkin`), is positive definite.  Arrays are padded as in
:mod:`.mg_kernels`; ``m1`` is the float32 indicator of point-active coarse
points and orphans travel as index lists.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

_OPTS = dict(cache=True, fastmath=True, nogil=True)
_PAR = dict(parallel=True, **_OPTS)


@njit(**_OPTS)
def classify(interior, hc, wc, kind, orphan):
    """Coarse ``kind`` (0 none, 1 point-active, 2 orphan parent) and fine ``orphan`` flags.

    An orphan's floor pixel is one of the even neighbours it lacks, so its
    coarse point never becomes point-active: one pass sets both kinds.
    """
    hp, wp = interior.shape
    for ip in range(1, hp - 2):
        odd_i, ic = (ip - 1) % 2, (ip - 1) // 2 + 1
        for jp in range(1, wp - 2):
            if not interior[ip, jp]:
                continue
            odd_j = (jp - 1) % 2
            if odd_i and odd_j:
                supported = (interior[ip - 1, jp - 1] or interior[ip - 1, jp + 1]
                             or interior[ip + 1, jp - 1] or interior[ip + 1, jp + 1])
            elif odd_i:
                supported = interior[ip - 1, jp] or interior[ip + 1, jp]
            elif odd_j:
                supported = interior[ip, jp - 1] or interior[ip, jp + 1]
            else:
                kind[ic, (jp - 1) // 2 + 1] = 1
                continue
            if not supported:
                orphan[ip, jp] = True
                kind[ic, (jp - 1) // 2 + 1] = 2


@njit(**_OPTS)
def orphan_index(orphan):
    """(fine, coarse) index lists of the orphans (as ``np.argwhere``, without its cost)."""
    count = 0
    for ip in range(orphan.shape[0]):
        for jp in range(orphan.shape[1]):
            count += orphan[ip, jp]
    fine = np.empty((count, 2), np.int64)
    n = 0
    for ip in range(orphan.shape[0]):
        for jp in range(orphan.shape[1]):
            if orphan[ip, jp]:
                fine[n, 0], fine[n, 1] = ip, jp
                n += 1
    return fine, (fine - 1) // 2 + 1


@njit(**_OPTS)
def far_points(fine_far, hc, wc, far):
    """``far[K]``: every fine point within 2 of 2K (a 5 x 5 window) is ``fine_far`` (a
    separable test).

    Row K of P^T A P reads the fine rows within 1 of 2K, their neighbours (within
    2) and those neighbours' parents; a ``fine_far`` point's row is the regular
    one and all its neighbours are points, so the window decides the row (3, as
    first written, left a third more points to compute one by one).  Each
    direction counts the run of ``fine_far`` (or row-ok) points ending at each
    pixel: a window is whole where the run at its end reaches 5 (0.75 -> 0.45
    ms per 1024^2 hierarchy, against testing every window).
    """
    hp, wp = fine_far.shape
    rows_ok = np.zeros((hp, wc + 3), np.bool_)  # the window's columns, K's row at ip
    for ip in range(hp):
        run = 0
        for jp in range(min(wp, 2 * wc + 2)):
            run = run + 1 if fine_far[ip, jp] else 0
            if jp % 2 == 1 and run >= 5:  # jp = 2 jc + 1 ends K's window
                rows_ok[ip, (jp - 1) // 2] = True
    far[1:hc + 1, 1:wc + 1] = False
    runs = np.zeros(wc + 3, np.int64)
    for ip in range(min(hp, 2 * hc + 2)):
        for jc in range(1, wc + 1):
            runs[jc] = runs[jc] + 1 if rows_ok[ip, jc] else 0
        if ip % 2 == 1 and ip >= 3:
            for jc in range(1, wc + 1):
                far[(ip - 1) // 2, jc] = runs[jc] >= 5


@njit(**_OPTS)
def fold_columns(t, m1, ic, wc_last, out):
    """Row ``ic`` of a restriction from ``t``, a fine row already folded over its three
    rows: weights 1/2, 1, 1/2 across columns (``wc_last`` for the far-edge copy), times
    the coarse mask ``m1``; ``out`` is one channel of the coarse grid (padded)."""
    half = np.float32(0.5)
    wc = out.shape[1] - 3
    for jc in range(1, wc):
        j0 = 2 * jc - 2
        out[ic, jc] = m1[ic, jc] * (half * (t[j0] + t[j0 + 2]) + t[j0 + 1])
    j0 = 2 * wc - 2
    out[ic, wc] = m1[ic, wc] * (half * t[j0] + t[j0 + 1] + wc_last * t[j0 + 2])


@njit(**_PAR)
def restrict(r, m1, fine_h, out):
    """``out = P^T r`` without the orphans' part (see :func:`orphans_restrict`)."""
    nc, hc = out.shape[0], out.shape[1] - 3
    fine_w = r.shape[2] - 3
    half = np.float32(0.5)
    wr_last = np.float32(1.0 if fine_h % 2 == 0 else 0.5)  # the far-edge copy, transposed
    wc_last = np.float32(1.0 if fine_w % 2 == 0 else 0.5)
    for ic in prange(1, hc + 1):
        t = np.empty(r.shape[2], np.float32)
        i0 = 2 * ic - 2
        w2 = wr_last if ic == hc else half
        for c in range(nc):
            for jp in range(r.shape[2]):
                t[jp] = half * r[c, i0, jp] + r[c, i0 + 1, jp] + w2 * r[c, i0 + 2, jp]
            fold_columns(t, m1, ic, wc_last, out[c])


@njit(**_PAR)
def prolong_add(xc, m1, fine_diag, x):
    """``x += P xc`` on the fine region without the orphans' part."""
    for ip in prange(1, x.shape[1] - 2):
        t = np.empty(xc.shape[2], np.float32)
        u = np.zeros(x.shape[2], np.float32)
        for c in range(x.shape[0]):
            prolong_row(xc, m1, fine_diag, x, ip, c, t, u)


@njit(inline="always", **_OPTS)
def prolong_row(xc, m1, fine_diag, x, ip, c, t, u):
    """Row ``ip`` of channel c of ``x += P xc`` (no orphans); ``t``, ``u`` are work rows.

    The fine row is first spelled out in full (``u``, whose two pad cells at
    each end stay 0), a column pair (odd, even) at a time so that LLVM
    vectorises the interleaved stores (one stride-2 loop per column parity
    took twice as long: 1.42 -> 0.75 ms at 777^2, 3 channels), then added in
    one vectorised pass.
    """
    wp = x.shape[2]
    hc, wc = xc.shape[1] - 3, xc.shape[2] - 3
    half = np.float32(0.5)
    wf = wp - 3
    lo = (ip - 1) // 2 + 1  # even row: itself; odd row: its lower neighbour...
    hi = lo + 1 if (ip - 1) % 2 == 1 and ip // 2 < hc else lo  # ...and upper one
    wlo = np.float32(1.0 if hi == lo else 0.5)
    for jc in range(wc + 3):
        t[jc] = wlo * m1[lo, jc] * xc[c, lo, jc] + (1 - wlo) * m1[hi, jc] * xc[c, hi, jc]
    for jl in range(wf // 2):
        u[2 * jl + 1] = t[jl + 1]
        u[2 * jl + 2] = half * (t[jl + 1] + t[jl + 2])
    if wf % 2 == 1:  # an odd width ends on an even column
        u[wf] = t[(wf + 1) // 2]
    elif wc == wf // 2:  # an even width ends on an odd column: copy
        u[wf] = t[wf // 2]
    for jp in range(1, wp - 2):
        x[c, ip, jp] += u[jp] if fine_diag[ip, jp] > 0 else np.float32(0.0)


@njit(**_OPTS)
def orphans_restrict(r, fine_idx, coarse_idx, out):
    for c in range(r.shape[0]):
        for n in range(fine_idx.shape[0]):
            out[c, coarse_idx[n, 0], coarse_idx[n, 1]] += r[c, fine_idx[n, 0], fine_idx[n, 1]]


@njit(**_OPTS)
def orphans_prolong(xc, fine_idx, coarse_idx, x):
    for c in range(x.shape[0]):
        for n in range(fine_idx.shape[0]):
            x[c, fine_idx[n, 0], fine_idx[n, 1]] += xc[c, coarse_idx[n, 0], coarse_idx[n, 1]]


@njit(inline="always", **_OPTS)
def _off_centre(s, x, c, i, j):
    """sum over the 8 neighbours of S[k, i, j] x[neighbour k] (written out: vectorises)."""
    return _off_row(s, x, c, i, j) + s[3, i, j] * x[c, i, j - 1] + s[5, i, j] * x[c, i, j + 1]


@njit(inline="always", **_OPTS)
def _off_row(s, x, c, i, j):
    """The same over the 6 neighbours in the rows above and below."""
    return (s[0, i, j] * x[c, i - 1, j - 1] + s[1, i, j] * x[c, i - 1, j]
            + s[2, i, j] * x[c, i - 1, j + 1] + s[6, i, j] * x[c, i + 1, j - 1]
            + s[7, i, j] * x[c, i + 1, j] + s[8, i, j] * x[c, i + 1, j + 1])


@njit(**_PAR)
def smooth_rows(x, b, stencil, invr, reverse):
    """One zebra sweep of the 9-point ``stencil``: even rows, then odd (backwards when
    ``reverse``, the adjoint), each row updated at once from the old values (Jacobi
    along the row) with the row-safe inverse diagonal ``invr``.

    Rows of one parity never neighbour each other, so they run in parallel, and
    each point is computed once, vectorised (a four-colour Gauss-Seidel sweep
    computes every row twice and keeps half of each: measured at 1024^2, the
    same CG steps in half the time).  Each half of the sweep is
    ``x += R (b - S x)`` on its rows, and it is contracting in S's energy as
    long as ``2 / invr`` exceeds the row's own part of S, which ``invr`` (see
    :func:`row_safe_inverse`) makes sure of: the V-cycle stays symmetric
    positive definite.
    """
    nc, hp, wp = x.shape
    rows = (hp - 3 + 1) // 2
    for half in range(2):
        ri = 1 - half if reverse else half
        for k in prange(rows):
            ip = 2 * k + 1 + ri
            if ip > hp - 3:
                continue
            t = np.empty(wp, np.float32)
            for c in range(nc):
                for jp in range(1, wp - 2):
                    t[jp] = invr[ip, jp] * (b[c, ip, jp] - _off_centre(stencil, x, c, ip, jp))
                x[c, ip, 1:wp - 2] = t[1:wp - 2]


@njit(**_PAR)
def smooth_rows_from_zero(x, b, stencil, invr):
    """:func:`smooth_rows` (forwards) from x = 0, which ``x`` need not hold: the even
    rows become ``invr b``, then the odd ones read only the even rows around them."""
    nc, hp, wp = x.shape
    for k in prange((hp - 3 + 1) // 2):
        ip = 2 * k + 1
        for c in range(nc):
            for jp in range(1, wp - 2):
                x[c, ip, jp] = invr[ip, jp] * b[c, ip, jp]
    for k in prange((hp - 3) // 2):
        ip = 2 * k + 2
        t = np.empty(wp, np.float32)
        for c in range(nc):
            for jp in range(1, wp - 2):
                t[jp] = invr[ip, jp] * (b[c, ip, jp] - _off_row(stencil, x, c, ip, jp))
            x[c, ip, 1:wp - 2] = t[1:wp - 2]


def row_safe_inverse(stencil: np.ndarray) -> np.ndarray:
    """1 / max(S_centre, |S_left| + |S_right|), 0 off the level's points.

    Where the row's neighbours weigh less than the centre (every Galerkin level
    measured: at most 0.69 of it, 1/3 in the regular interior) this is 1 /
    S_centre; elsewhere the larger diagonal keeps :func:`smooth_rows` contracting.
    """
    out = np.zeros_like(stencil[4])
    _row_safe_inverse(stencil, out)
    return out


@njit(cache=True, nogil=True)  # no fastmath: a correctly rounded division, as NumPy's
def _row_safe_inverse(stencil, out):
    one = np.float32(1.0)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            if stencil[4, i, j] > 0:
                out[i, j] = one / max(stencil[4, i, j],
                                      abs(stencil[3, i, j]) + abs(stencil[5, i, j]))


@njit(**_PAR)
def residual9(x, b, stencil, r):
    """``r = b - S x`` on the level's points (0 elsewhere: S is 0 there)."""
    nc, hp, wp = x.shape
    for ip in prange(1, hp - 2):
        for c in range(nc):
            for jp in range(1, wp - 2):
                s = b[c, ip, jp] - _off_centre(stencil, x, c, ip, jp) \
                    - stencil[4, ip, jp] * x[c, ip, jp]
                r[c, ip, jp] = s if stencil[4, ip, jp] > 0 else np.float32(0.0)
