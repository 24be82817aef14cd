"""The multigrid-preconditioned CG of :mod:`.mgpcg` in torch, for a GPU (``device="cuda"``).

Same algorithm, same levels (built on the CPU by :class:`.mgpcg.Hierarchy`,
cached per mask, then copied to the device once): red-black Gauss-Seidel on
the 5-point finest level, four-colour Gauss-Seidel on the 9-point Galerkin
levels, vertex-centred bilinear transfers with the orphan repair, an exact
dense solve on the coarsest level.  Every colour pass is whole-array tensor
arithmetic (the colour chosen by a mask), so it runs as it is on any torch
device; the tests run it on the CPU device at small sizes.

Precision: the V-cycle and the inner CG run in float32, dot products are
accumulated in float64, and the outer refinement keeps the iterate and the
right-hand side in float64 (as on the CPU), so the float64 relative residual
meets ``tol``.  Memory: the float64 iterate and right-hand side, four float32
vectors (r, e, z, p), one stencil temporary and the coarse levels (a third of
the finest): about ten image-sized float32 buffers.
"""
from __future__ import annotations

import numpy as np
import torch

from .mask_cache import cached
from .mgpcg import INNER_REDUCTION, MAX_ITERATIONS, Hierarchy, _matrix, levels_for

_IN = (slice(None), slice(1, -2), slice(1, -2))  # the cells of a padded (C, H+3, W+3) array


def _shift(x, di, dj):
    """The padded array's values at (i + di, j + dj) for every cell (i, j)."""
    h, w = x.shape[-2] - 3, x.shape[-1] - 3
    return x[..., 1 + di:1 + di + h, 1 + dj:1 + dj + w]


class DeviceLevel:
    """A level's arrays on the device (see :class:`.mgpcg.Level`)."""

    def __init__(self, level, device):
        as_t = lambda a: torch.as_tensor(np.ascontiguousarray(a), device=device)  # noqa: E731
        self.diag, self.invd = as_t(level.diag)[1:-2, 1:-2], as_t(level.invd)[1:-2, 1:-2]
        self.stencil = as_t(level.stencil)[:, 1:-2, 1:-2] if level.stencil.shape[0] else None
        self.inside = self.diag > 0
        self.m1 = as_t(level.m1)[1:-2, 1:-2] if level.m1 is not None else None
        self.orphans = tuple(as_t(a) for a in level.orphans) if level.orphans else None
        h, w = self.diag.shape
        rows, cols = torch.meshgrid(torch.arange(h, device=device),
                                    torch.arange(w, device=device), indexing="ij")
        self.colours = [((rows % 2 == a) & (cols % 2 == b)) for a in (0, 1) for b in (0, 1)]
        self.red = (rows + cols) % 2 == 0

    def neighbours(self, x):
        """Off-centre part of the operator times the padded x (C, h, w)."""
        if self.stencil is None:
            return -(_shift(x, -1, 0) + _shift(x, 1, 0) + _shift(x, 0, -1) + _shift(x, 0, 1))
        return sum(self.stencil[k] * _shift(x, k // 3 - 1, k % 3 - 1) for k in range(9) if k != 4)

    def apply(self, x):
        return torch.where(self.inside, self.diag * x[_IN] + self.neighbours(x), 0.0)

    def sweep(self, x, b, masks):
        for mask in masks:
            new = self.invd * (b[_IN] - self.neighbours(x))
            x[_IN] = torch.where(mask, new, x[_IN])

    def forward_colours(self):
        if self.stencil is None:
            return [self.red, ~self.red]
        return self.colours


def prolong(xc, coarse: DeviceLevel, fine: DeviceLevel, fine_x):
    """``fine_x += P xc`` (padded arrays), bilinear from point-active coarse points."""
    h, w = fine.diag.shape
    v = coarse.m1 * xc[_IN]
    v = torch.cat([v, v[:, -1:]], dim=1)  # the far-edge copy: an odd last row/column
    v = torch.cat([v, v[:, :, -1:]], dim=2)  # takes its lower neighbour alone
    rows = torch.empty((v.shape[0], h, v.shape[2]), dtype=v.dtype, device=v.device)
    rows[:, 0::2] = v[:, :(h + 1) // 2]
    rows[:, 1::2] = 0.5 * (v[:, :h // 2] + v[:, 1:h // 2 + 1])
    full = torch.empty((v.shape[0], h, w), dtype=v.dtype, device=v.device)
    full[:, :, 0::2] = rows[:, :, :(w + 1) // 2]
    full[:, :, 1::2] = 0.5 * (rows[:, :, :w // 2] + rows[:, :, 1:w // 2 + 1])
    fine_x[_IN] += torch.where(fine.inside, full, 0.0)
    if fine.orphans[0].shape[0]:
        (fi, fj), (ci, cj) = fine.orphans[0].T, fine.orphans[1].T
        fine_x[:, fi, fj] += xc[:, ci, cj]


def restrict(r, coarse: DeviceLevel, fine: DeviceLevel, out):
    """``out = P^T r`` (padded arrays): the exact transpose of :func:`prolong`."""
    hc, wc = coarse.diag.shape
    cells = r[_IN]
    t = _fold(cells, hc, 1)
    t = _fold(t, wc, 2)
    out.zero_()
    out[_IN] = coarse.m1 * t
    if fine.orphans[0].shape[0]:
        (fi, fj), (ci, cj) = fine.orphans[0].T, fine.orphans[1].T
        for c in range(out.shape[0]):
            out[c].index_put_((ci, cj), r[c, fi, fj], accumulate=True)


def _fold(a, nc, dim):
    """Transpose of the 1-D interpolation along ``dim`` onto ``nc`` coarse points."""
    n = a.shape[dim]
    idx = torch.arange(n, device=a.device)
    shape = list(a.shape)
    shape[dim] = nc + 1
    t = torch.zeros(shape, dtype=a.dtype, device=a.device)
    t.index_add_(dim, idx[0::2] // 2, a.index_select(dim, idx[0::2]))
    odd = 0.5 * a.index_select(dim, idx[1::2])
    t.index_add_(dim, idx[1::2] // 2, odd)
    t.index_add_(dim, idx[1::2] // 2 + 1, odd)
    last = t.narrow(dim, nc, 1)
    t.narrow(dim, nc - 1, 1).add_(last)  # the far-edge copy, transposed
    return t.narrow(dim, 0, nc)


class DeviceHierarchy:
    """A :class:`.mgpcg.Hierarchy` on a torch device, with a dense coarsest inverse."""

    def __init__(self, hier: Hierarchy, device):
        self.levels = [DeviceLevel(level, device) for level in hier.levels]
        dense = _matrix(hier.levels[-1], hier.coarse_cells).toarray()
        self.coarse_inverse = torch.as_tensor(np.linalg.inv(dense), dtype=torch.float32,
                                              device=device)
        self.coarse_cells = torch.as_tensor(hier.coarse_cells, device=device)

    def vcycle(self, b, x, level=0):
        """``x = M b`` from zero on padded float32 arrays."""
        lev = self.levels[level]
        x.zero_()
        if level == len(self.levels) - 1:
            x[_IN][:, self.coarse_cells] = (b[_IN][:, self.coarse_cells] @ self.coarse_inverse.T)
            return
        colours = lev.forward_colours()
        lev.sweep(x, b, colours)
        r = torch.zeros_like(b)
        r[_IN] = b[_IN] - lev.apply(x)
        nxt = self.levels[level + 1]
        hc, wc = nxt.diag.shape
        bc = torch.zeros((b.shape[0], hc + 3, wc + 3), dtype=b.dtype, device=b.device)
        restrict(r, nxt, lev, bc)
        xc = torch.zeros_like(bc)
        self.vcycle(bc, xc, level + 1)
        prolong(xc, nxt, lev, x)
        lev.sweep(x, b, colours[::-1])


def _dot(u, v):
    """Per channel <u, v>: float32 products (one temporary), float64 sum."""
    return (u * v).sum(dim=(1, 2), dtype=torch.float64)


def pcg32(dh: DeviceHierarchy, r, reduction, budget):
    """Float32 PCG on ``A e = r`` (padded) until ||r|| shrinks by ``reduction`` (per channel)."""
    finest = dh.levels[0]
    e, z = torch.zeros_like(r), torch.zeros_like(r)
    dh.vcycle(r, z)
    p = z.clone()
    rz = _dot(r, z)
    goal = _dot(r, r) * reduction ** 2
    active = goal > 0
    its = torch.zeros_like(goal, dtype=torch.int64)
    while bool(active.any()) and int(its.max()) < budget:
        ap = torch.zeros_like(p)
        ap[_IN] = finest.apply(p)
        pap = _dot(p, ap)
        alpha = torch.where(active & (pap > 0), rz / torch.where(pap > 0, pap, 1.0), 0.0)
        a32 = alpha.float()[:, None, None]
        e += a32 * p
        r -= a32 * ap
        its += active
        active &= _dot(r, r) > goal
        if not bool(active.any()):
            break
        dh.vcycle(r, z)
        rz_next = _dot(r, z)
        beta = torch.where(active & (rz > 0), rz_next / torch.where(rz > 0, rz, 1.0), 0.0)
        p.mul_(beta.float()[:, None, None]).add_(z)
        rz = rz_next
    return e, its


def solve_grid(region, fstar, gh, gv, tol, device="cuda", out=None):
    """:func:`.mgpcg.solve_grid` on a torch device; returns (x (h, w, C) numpy, residual, its).

    ``x`` is ``out`` (default: a float64 copy of f*) with the solution on the region.
    """
    from . import mg_kernels as k

    h, w, nc = fstar.shape
    hier = levels_for(region)
    dh = cached("mgpcg_torch", region, lambda: DeviceHierarchy(hier, device), str(device))
    b = np.zeros((nc, h + 3, w + 3))
    k.divergence_rhs(region, fstar, gh, gv, b)
    b64 = torch.as_tensor(b, device=device)
    x64 = torch.zeros_like(b64)
    x64[_IN] = torch.where(torch.as_tensor(region, device=device),
                           torch.as_tensor(np.ascontiguousarray(fstar.transpose(2, 0, 1)),
                                           device=device), 0.0)
    finest = dh.levels[0]
    nb = torch.sqrt(torch.clamp((b64 * b64).sum(dim=(1, 2)), min=1e-300))
    nb = torch.where(nb > 1e-150, nb, torch.ones_like(nb))
    its = torch.zeros(nc, dtype=torch.int64, device=device)
    while True:
        r64 = torch.zeros_like(b64)
        r64[_IN] = b64[_IN] - finest.apply(x64)
        rel = torch.sqrt((r64 * r64).sum(dim=(1, 2))) / nb
        if bool((rel <= tol).all()) or int(its.max()) >= MAX_ITERATIONS:
            break
        reduction = torch.clamp(0.5 * tol / torch.where(rel > 0, rel, 1.0), INNER_REDUCTION, 1.0)
        r32 = r64.float()
        del r64  # the float64 residual is not needed while the correction is solved
        e, inner = pcg32(dh, r32, torch.where(rel > tol, reduction, 0.0),
                         MAX_ITERATIONS - int(its.max()))
        its += inner
        x64 += e.double()
    x = np.array(fstar, dtype=np.float64) if out is None else out
    x[region] = x64[_IN].permute(1, 2, 0).cpu().numpy()[region]
    return x, float(rel.max()), its.tolist()
