"""Solve the masked Poisson system of :mod:`imgfusion.gradient.system`.

:func:`solve_region` is the one entry point of every gradient-domain operator
(:func:`solve_guided` when the field is an image's own gradient, which then
need not be stored).  It crops the problem to the region's bounding box plus a one-pixel frame (so the
cost follows the region, not the image), then solves all channels with

``direct``
    sparse LU (SuperLU, symmetric mode, on a geometric nested-dissection ordering
    of the region's pixels, which suits 2-D grids), factored once and reused for
    every channel;
``cg``
    conjugate gradients preconditioned by one V-cycle of a Ruge-Stueben
    algebraic multigrid hierarchy (pyamg), built once for all channels, in
    float32 (iterates and residuals in float64), all channels stepped together;
``multigrid``
    plain V-cycles of the same hierarchy, without the Krylov acceleration.
    Measured (``python bench/poisson_speed.py --sizes 1024 2048 --solvers cg
    multigrid --repeat 2``, shared 2-core machine) against the float64
    hierarchy with scipy's cg and pyamg's solve: at 1024^2 cg 3.6 -> 1.7 s,
    multigrid 3.2 -> 1.8 s (OpenCV's seamlessClone 0.33 s, so about 5x); at
    2048^2 cg 12.0 -> 8.5 s, multigrid 11.2 -> 7.9 s (OpenCV 1.4 s).  The AMG
    setup is now ~0.5 s of the 1024^2 time, each CG step ~0.05 s per channel.
    Tried and slower: smoothed aggregation (setup 5 s), PMIS splitting (90
    iterations), a stronger threshold (theta 0.5: 9 iterations), a larger
    coarsest level; starting from the fft result saves 1 of 6 iterations but
    costs about as much as it saves;
``fft``
    a fast, *approximate* sine-transform solve on the region's bounding box.
    For the seamless-cloning operators (poisson_blend, mixed_blend,
    monochrome_transfer) it is OpenCV's seamlessClone algorithm, including its
    3 x 3 x 3 mask erosion (OpenCV #17450) and the re-solve of the whole box:
    see :mod:`imgfusion.gradient.opencv_clone`.  For the other operators it is
    the box re-solve done here: the target's own gradients outside the region,
    no erosion, only the region kept; it ignores the Dirichlet values inside
    the box (holes, the rim), so it drifts from the exact solution where source
    and target disagree there (exact when the region is a rectangle).  No residual;
``mgpcg``
    matrix-free geometric multigrid as the preconditioner of conjugate
    gradients on the region's own grid (McAdams et al. 2010), compiled with
    numba, channels batched, float32 V-cycles refined in float64
    (:mod:`imgfusion.gradient.mgpcg`, which lists its measured speed against
    OpenCV's seamlessClone, ``python bench/poisson_speed.py``); with
    ``device="cuda"`` the same algorithm in torch
    (:mod:`imgfusion.gradient.mgpcg_torch`).  Starting from the fft solution
    was measured and not kept: its residual is still 0.15-0.24 of ||b||
    (0.56-0.82 from f*), which saves at most one of the 6 steps, about what
    the box solve costs;
``auto``
    ``direct`` up to :data:`AUTO_DIRECT_MAX` unknowns, ``mgpcg`` above (and
    always ``mgpcg`` on a GPU).

The exact solvers report the relative residual ``max_c ||b - A x|| / ||b||``.
Everything that depends on the region alone (the matrix, LU factors, AMG
hierarchies, multigrid levels) is kept in :mod:`imgfusion.gradient.mask_cache`,
so the same mask with new images (video frames, channels, sweeps) skips it.
"""
from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.sparse.linalg as spla

from ..errors import ParameterError
from .fast_poisson import solve_box
from .mask_cache import cached
from .param_checks import solver_on_device
from .system import EdgeField, GuideField, divergence_rhs, matrix, relative_residual

AUTO_DIRECT_MAX = 40_000
MAX_ITERATIONS = 500


def check_solver(solver: str, tol: float, device: str = "cpu") -> None:
    """What the operators' declarations cannot say: the device's form and machine.

    The choices of ``solver`` and the range of ``tol`` are declared once, by the
    operators' signatures (:mod:`imgfusion.gradient.options`), and not checked here.
    """
    solver_on_device(solver, device)
    if device != "cpu":
        import torch

        if not torch.cuda.is_available():
            raise ParameterError("device", f"{device!r} asked for, but torch sees no CUDA GPU "
                                           "here; use 'cpu'")


def solve_region(region: np.ndarray, fstar: np.ndarray, gh: np.ndarray, gv: np.ndarray,
                 *, solver: str = "auto", tol: float = 1e-8, device: str = "cpu",
                 out: np.ndarray | None = None, clip: bool = False) -> tuple[np.ndarray, dict]:
    """Solve Pérez Eq. 7 on ``region`` and return (image, info).

    Parameters
    ----------
    region : (H, W) bool array
        The unknown pixels Omega.  Must not be the whole image.
    fstar : (H, W, C) float array
        Boundary values f*; pixels outside the region are returned unchanged.
    gh, gv : (H, W-1, C) and (H-1, W, C) float arrays
        Guidance field as desired forward differences (see ``system``).
    solver : {"auto", "direct", "cg", "multigrid", "mgpcg", "fft"}
    tol : float
        Relative residual the iterative solvers stop at.
    device : {"cpu", "cuda", "cuda:N"}
        Where ``mgpcg`` runs (torch on a GPU); the other solvers are CPU-only.
    out : (H, W, C) array, optional
        Receives the solution on the region and is left as it is elsewhere
        (so it should hold f* there); default: a new float64 copy of f*.
    clip : bool
        Clip the solution to [0, 1] as it is written into ``out``.

    Returns
    -------
    image : (H, W, C) array
        ``out``: float64 unless the caller passed another.
    info : dict
        ``solver`` (the one used), ``unknowns``, ``residual`` (None for fft),
        ``iterations`` (per channel, iterative solvers), ``seconds``.
    """
    return solve_field(region, fstar, EdgeField(gh, gv), solver=solver, tol=tol, device=device,
                       out=out, clip=clip)


def solve_guided(region: np.ndarray, fstar: np.ndarray, guide: np.ndarray,
                 inside: np.ndarray | None = None, **options):
    """:func:`solve_region` for the field of ``guide``'s own gradient (Pérez Eq. 11),
    and f*'s own on the edges that leave ``inside`` (H x W bool, where the guide holds).

    ``guide`` is (H, W, C) like f*; the field's differences are never stored
    for ``mgpcg`` on the CPU (:class:`.system.GuideField`), which saves two
    float64 arrays of the region's box per channel.
    """
    return solve_field(region, fstar, GuideField(guide, inside), **options)


def solve_field(region, fstar, field, *, solver="auto", tol=1e-8, device="cpu", out=None,
                clip=False):
    """:func:`solve_region` for a field of :mod:`.system` (EdgeField or GuideField)."""
    check_solver(solver, tol, device)
    if region.all():
        raise ParameterError("mask", "covers the whole image, so no boundary pixel anchors "
                                     "the solution; leave at least one pixel unselected")
    start = time.perf_counter()
    crop = bounding_crop(region)
    reg, fs, field = region[crop], fstar[crop], field.cropped(crop)
    solver = _resolve(solver, reg, device)
    out = fstar.astype(np.float64) if out is None else out
    if solver == "mgpcg":
        info = _solve_mgpcg(reg, fs, field, tol, device, out[crop], clip)
    else:
        values, info = _solve_values(reg, fs, *field.edges(fs), solver, tol)
        out[crop][reg] = np.clip(values, 0.0, 1.0) if clip else values
    info["seconds"] = time.perf_counter() - start
    return out, info


def _solve_values(reg, fs, gh, gv, solver, tol):
    """The region's values (n x C) by ``fft`` or a sparse solver, and the info."""
    if solver == "fft":
        values = solve_box(reg, fs, gh, gv)
        return values, {"solver": "fft", "unknowns": values.shape[0], "residual": None}
    a = cached("matrix", reg, lambda: matrix(reg))
    b = divergence_rhs(reg, fs, gh, gv)[0][reg]
    return solve_system(a, b, fs[reg], solver=solver, tol=tol, coords=np.nonzero(reg),
                        region=reg)


def _resolve(solver: str, reg: np.ndarray, device: str) -> str:
    if solver != "auto":
        return solver
    if device != "cpu":
        return "mgpcg"
    return "direct" if np.count_nonzero(reg) <= AUTO_DIRECT_MAX else "mgpcg"


def _solve_mgpcg(reg, fs, field, tol, device, out, clip):
    """The multigrid-preconditioned CG (numba on the CPU, torch on a GPU), into ``out``."""
    if device == "cpu":
        from .mgpcg import solve_field as solve
        _, residual, iterations = solve(reg, fs, field, tol, out=out, clip=clip)
    else:
        from .mgpcg_torch import solve_grid
        _, residual, iterations = solve_grid(reg, fs, *field.edges(fs), tol, device=device,
                                             out=out)
        if clip:
            out[reg] = np.clip(out[reg], 0.0, 1.0)
    info = {"solver": "mgpcg", "unknowns": int(np.count_nonzero(reg)), "residual": residual,
            "iterations": iterations, "device": device}
    if residual > tol * 10:
        warnings.warn(f"mgpcg stopped at relative residual {residual:.2e} (asked for {tol:g})",
                      RuntimeWarning, stacklevel=4)
    return info


def solve_in_crop(region: np.ndarray, fstar: np.ndarray, fields, *, solver: str = "auto",
                  tol: float = 1e-8, device: str = "cpu") -> tuple[np.ndarray, dict]:
    """:func:`solve_region` on the region's :func:`bounding_crop` only.

    ``fields(crop)`` returns the guidance (gh, gv) of the cropped grid, so that
    operators never compute fields over the whole image.
    """
    check_solver(solver, tol, device)
    crop = bounding_crop(region)
    solved, info = solve_region(region[crop], fstar[crop], *fields(crop), solver=solver,
                                tol=tol, device=device)
    out = fstar.copy()
    out[crop] = solved
    return out, info


def solve_system(a, b: np.ndarray, x0: np.ndarray, *, solver: str = "auto", tol: float = 1e-8,
                 coords: tuple[np.ndarray, np.ndarray] | None = None,
                 region: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Solve the SPD system ``A X = B`` (B: n x C) with an exact sparse solver; return (X, info).

    ``coords`` (rows, cols) of the unknowns on the image grid lets ``direct``
    use a nested-dissection ordering; without them it uses SuperLU's MMD.
    ``region``, when A is that region's matrix, keys the cache of the LU factor
    or AMG hierarchy, so that the next call with the same region reuses it.
    """
    n = a.shape[0]
    if solver == "auto":
        solver = "direct" if n <= AUTO_DIRECT_MAX else "cg"
    setup = _SETUP[solver]
    prepared = setup(a, coords) if region is None else cached(solver, region,
                                                              lambda: setup(a, coords))
    x, iterations = _EXACT[solver](a, b, x0, tol, prepared)
    info = {"solver": solver, "unknowns": n, "residual": relative_residual(a, x, b)}
    if iterations is not None:
        info["iterations"] = iterations
        if info["residual"] > tol * 10:
            warnings.warn(f"{solver} stopped at relative residual {info['residual']:.2e} "
                          f"(asked for {tol:g})", RuntimeWarning, stacklevel=3)
    return x, info


def bounding_crop(region: np.ndarray) -> tuple[slice, slice]:
    """The region's bounding box plus a one-pixel frame, clipped to the image.

    Solving on this crop gives the same answer as on the whole image: the frame
    holds every Dirichlet neighbour, and the crop only meets the array's edge
    where the region meets the image's edge.
    """
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    h, w = region.shape
    return (slice(max(rows[0] - 1, 0), min(rows[-1] + 2, h)),
            slice(max(cols[0] - 1, 0), min(cols[-1] + 2, w)))


# -- exact solvers: setup(A, coords) -> prepared, which depends on A alone (cached);
#    solve(A, B, X0, tol, prepared) -> (X, iterations per channel or None) --
def _factor(a, coords):
    """The LU factor and the ordering it was made in."""
    if coords is None:
        return spla.splu(a.tocsc(), permc_spec="MMD_AT_PLUS_A"), None
    order = nested_dissection(*coords)
    lu = spla.splu(a[order][:, order].tocsc(), permc_spec="NATURAL", diag_pivot_thresh=0.0,
                   options={"SymmetricMode": True})
    return lu, order


def _direct(a, b, x0, tol, prepared):
    lu, order = prepared
    if order is None:
        return lu.solve(b), None
    x = np.empty_like(b)
    x[order] = lu.solve(b[order])
    return x, None


def nested_dissection(rows: np.ndarray, cols: np.ndarray, leaf: int = 16) -> np.ndarray:
    """Geometric nested-dissection ordering of grid pixels (row, col).

    Each piece is cut along its longer side by a one-pixel line, which separates
    the two halves for the 5-point stencil; halves come first, separators last.
    On image grids this orders for LU with less work than SuperLU's MMD.
    """
    pieces: list[np.ndarray] = []

    def cut(idx):
        if idx.size <= leaf:
            pieces.append(idx)
            return
        r, c = rows[idx], cols[idx]
        coord = r if np.ptp(r) >= np.ptp(c) else c
        mid = (int(coord.min()) + int(coord.max())) // 2
        cut(idx[coord < mid])
        cut(idx[coord > mid])
        pieces.append(idx[coord == mid])

    cut(np.arange(rows.size))
    return np.concatenate(pieces)


def _hierarchy(a):
    import pyamg  # imported here: only the multigrid solvers need it

    return pyamg.ruge_stuben_solver(a)


def _vcycle(a):
    """``apply(R, columns)``: one V-cycle per column of the float64 residuals R.

    The hierarchy is built and cycled in float32 (measured at 1024^2, 470k
    unknowns: setup 0.8 -> 0.5 s, one V-cycle 0.11 -> 0.03-0.06 s).  Residuals
    and iterates stay float64, so the float32 cycle only has to approximate
    A^-1, which it does as well as the float64 one: the same iteration counts
    down to a relative residual of 1e-10.
    """
    from pyamg.relaxation.relaxation import gauss_seidel

    ml = _hierarchy(a.astype(np.float32))
    levels = ml.levels

    # Forward Gauss-Seidel before and backward after: a symmetric V-cycle (so CG may
    # use it) at half the cost of pyamg's default symmetric sweeps on both sides.  The
    # same cycle as pyamg's aspreconditioner("V") gives, 17% faster (no residual norms).
    def cycle(b, i=0):
        mat = levels[i].A
        if i == len(levels) - 1:
            return np.asarray(ml.coarse_solver(mat, b), dtype=np.float32)
        x = np.zeros_like(b)
        gauss_seidel(mat, x, b, iterations=1, sweep="forward")
        x += levels[i].P @ cycle(levels[i].R @ (b - mat @ x), i + 1)
        gauss_seidel(mat, x, b, iterations=1, sweep="backward")
        return x

    def apply(r, columns):
        z = np.zeros_like(r)
        for k in np.flatnonzero(columns):
            z[:, k] = cycle(r[:, k].astype(np.float32))
        return z

    return apply


def _goal(b, tol):
    nb = np.linalg.norm(b, axis=0)
    return tol * np.where(nb > 0, nb, 1.0)


def _cg(a, b, x0, tol, precond):
    """Preconditioned CG on every channel at once (one sparse product per step)."""
    goal = _goal(b, tol)
    x = x0.astype(np.float64, copy=True)
    r = b - a @ x
    active = np.linalg.norm(r, axis=0) > goal
    z = precond(r, active)
    p, rz = z.copy(), np.einsum("ij,ij->j", r, z)
    iterations = np.zeros(b.shape[1], dtype=int)
    while active.any() and iterations.max() < MAX_ITERATIONS:
        q = a @ p
        alpha = np.divide(rz, np.einsum("ij,ij->j", p, q), out=np.zeros_like(rz), where=active)
        x += alpha * p
        r -= alpha * q
        iterations += active
        active &= np.linalg.norm(r, axis=0) > goal
        z = precond(r, active)
        rz_next = np.einsum("ij,ij->j", r, z)
        p = z + np.divide(rz_next, rz, out=np.zeros_like(rz), where=active) * p
        rz = rz_next
    return x, iterations.tolist()


def _multigrid(a, b, x0, tol, precond):
    """Plain V-cycles on the float64 residual of every channel (no Krylov step)."""
    goal = _goal(b, tol)
    x = x0.astype(np.float64, copy=True)
    iterations = np.zeros(b.shape[1], dtype=int)
    while iterations.max() < MAX_ITERATIONS:
        r = b - a @ x
        active = np.linalg.norm(r, axis=0) > goal
        if not active.any():
            break
        x += precond(r, active)
        iterations += active
    return x, iterations.tolist()


_EXACT = {"direct": _direct, "cg": _cg, "multigrid": _multigrid}
_SETUP = {"direct": _factor, "cg": lambda a, coords: _vcycle(a),
          "multigrid": lambda a, coords: _vcycle(a)}
