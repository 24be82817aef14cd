"""Matrix-free multigrid-preconditioned conjugate gradients on the masked grid (MGPCG).

McAdams, Sifakis and Teran, "A parallel multigrid Poisson solver for fluids
simulation on large grids" (SCA 2010): conjugate gradients preconditioned by
one geometric V-cycle on the region's own grid, with no sparse matrix.  Here:

* **Levels.** The finest level is Pérez's 5-point operator on the cropped
  region (``diag`` = |N_p|, truncated where the crop meets the image's edge).
  Coarse points are the fine grid's even pixels; prolongation is bilinear with
  two repairs (the far-edge copy, and *orphans*: region pixels with no even
  neighbour in the region, e.g. one-pixel lines, hang on a coarse point of
  their own), and each coarse operator is the Galerkin product P^T A P, a
  9-point stencil (:mod:`.mg_coarse`; the product: :mod:`.mg_galerkin`).
  Where the neighbourhood is regular region all points share one stencil,
  computed once, so the setup is linear and cheap.  Coarsening stops at
  :data:`COARSEST_CELLS` cells, solved by a sparse LU.  Measured on
  256^2-512^2 masks (ellipse, ring, square, grid of lines, half-image
  touching three borders), CG steps to 1e-6: 13-15 with
  re-discretised coarse stencils on "any child" masks (the coarse Dirichlet
  walls sit in the wrong place), 9 with a Galerkin row-sum repair, 5-6 with
  the Galerkin levels here, independent of the size (~0.07 per step).
* **V-cycle.** Red-black Gauss-Seidel on the finest level in two passes
  over memory: the sweep from zero fused with the restricted residual (each
  block of rows keeps a ring of three swept rows, the residual is never
  stored), and the prolongation fused with the adjoint sweep, which also
  yields CG's <r, z> (:mod:`.mg_kernels`); zebra sweeps on the 9-point
  levels (even rows, then odd, each row at once: :func:`.mg_coarse.smooth_rows`,
  the first from zero), restriction P^T: a symmetric positive-definite
  preconditioner, float32, channels batched, compiled with numba.  Levels
  under :data:`SERIAL_CELLS` run on one thread.  Measured and not kept
  (thread CPU time at 1024^2, load 5-15): the far points' shared 9-point
  stencil held in registers instead of read per point (level 1 sweep 0.92 ->
  0.88 ms), the terms from the rows above and below shared by a row's two
  colours (0.84 -> 1.24 ms: the strided half-row loop does not vectorise),
  red-black SOR (omega 1.05-1.3: 6 -> 6-8 CG steps; 0.9-0.95: no fewer), a
  coarsest level of 256, 2048, 4096 or 16384 cells instead of 1024 (no faster;
  16384: +30%), two sweeps each way on the coarse levels (the same CG steps:
  the finest level sets the rate), zebra sweeps on the finest level too (6 ->
  7-8 CG steps), the red-black write-back as a blend of the whole row instead
  of a stride-2 loop (no faster), one float32 PCG round to 1e-6 (float32 stalls
  near 2e-6: 7 steps instead of 4 + 2).  Later (one thread, load 2-3, thread
  CPU time at 1024^2: a kernel alone, or whole solves A/B interleaved in one
  process, 15 rounds): each row's run of far points with the shared stencil
  as constants, the other points from the planes in a second short pass
  (level-1 residual 0.27 -> 0.24 ms warm, 0.61 -> 0.61 with a cold cache,
  levels 2-3 slower: the planes are not what these passes wait on); the
  finest sweep from zero not stored but recomputed by the prolongation pass
  (smooth_restrict 3.0 -> 2.3 ms, prolong_smooth_back 4.1 -> 4.6: the same
  solve time, ratio 1.000); the coarse levels' sweep from zero, residual and
  restriction fused as on the finest level (the odd rows reading ``invr b``
  of their neighbours: 2.8% slower); the black cells of the finest sweep
  from zero in place with a stride-2 loop (0.63 -> 3.0 ms: LLVM gathers),
  CG's ``x += alpha p`` as a loop of its own (1.5 -> 2.1 ms),
  :func:`.mg_kernels.copy_region` with the channels outside (1.3 -> 1.7 ms).
* **Precision.** Mixed-precision iterative refinement (:mod:`.mg_cg`): float32
  PCG corrections of the float64 iterate, until its float64 residual meets ``tol``.
* **Reuse.** The levels depend only on the region: :func:`levels_for` keeps
  them in :mod:`.mask_cache`, so new images under the same mask (video
  frames, channels, sweeps) skip all setup.  Work arrays depend only on the
  grid's size: :func:`.mg_memory.scratch` keeps them for the next solve of
  that size, whatever its mask.
* **Memory.** Boxes over :data:`BATCHED_CELLS` cells solve one channel at a
  time; levels of boxes over :data:`CACHED_CELLS` are not cached, and the
  work arrays are trimmed when a solve ends, so an 8192^2 blend keeps only
  its result (bench/poisson_big.py; :data:`BYTES_PER_CELL`).
* **Speed.** ``python bench/poisson_speed.py --sizes 1024 2048 --solvers mgpcg
  --repeat 7 --threads 1`` (one thread for OpenCV and numba, interleaved
  rounds, medians, setup included; shared 2-core machine, load 2.9-3.1):
  0.40x / 0.32x OpenCV's seamlessClone at 1024^2 / 2048^2 (process CPU time
  0.46x / 0.34x), growth 4.12 (OpenCV's 5.15); 6 CG steps, residual <= 3.8e-7.
  Quiet (load 1.0-1.5, ``--repeat 9``): one thread 0.46x / 0.35x (CPU 0.46x /
  0.35x), growth 3.92 (OpenCV's 5.13); two threads each 0.48x / 0.30x (CPU
  0.43x / 0.34x), growth 4.28 (OpenCV's 6.82).  What made it (whole 1024^2
  solves, this code against the one before, A/B interleaved in one process,
  thread CPU time, load 2.9-3.0): the finest
  sweep's colours computed alone in place and the prolongation's column pairs
  (123.7 -> 117.0 ms), then a faster setup (Galerkin rows 5.5 -> 3.3 ms,
  finest level 0.88 -> 0.23, classify 0.85 -> 0.45, far points 0.75 -> 0.45):
  119.7 -> 109.1 ms in all (median round ratio 0.915); the placement's glue
  1.6 -> 1.0 ms besides.  Before them (``--repeat 5``, load 14-15): 0.52x /
  0.37x (CPU 0.50x / 0.38x), growth 3.42; another run 0.48x / 0.38x (CPU
  0.50x / 0.37x), growth 3.97.  The code before the zebra coarse sweeps and
  the fused refinement passes, run right before it: 0.56x / 0.39x, growth
  3.66.  Two threads each (``--threads 2``, load 16):
  0.51x / 0.43x, growth 5.1 (before: 0.61x / 0.39x).  Earlier (load 5-11):
  0.60x / 0.39x, +reuse 0.53x / 0.33x.
  bench/poisson_big.py (before the zebra sweeps), one thread, load 6-8:
  8192^2 with a quarter of it 8.6 s, +2.0 GiB (OpenCV 18.9 s, +2.9 GiB), the
  whole 67 s, +5.9 GiB (190 s, +10.9 GiB); 16384^2 with a quarter 45 s, +8.1
  GiB (162 s, +11.4 GiB).
* **Threads.** :data:`THREADS` (None: numba's own setting), 1 by default.
  More threads solve groups of channels side by side (:func:`channel_groups`),
  each group's kernels on one thread.  Splitting every pass across the
  threads instead was 2.1x OpenCV's time at 1024^2 (two threads each, load
  6-8; 0.48x this way): every parallel loop ends at a barrier, a V-cycle has
  about 25 of them, and a thread the OS has descheduled stalls each one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from . import mg_coarse as mc
from . import mg_galerkin
from . import mg_kernels as k
from .mask_cache import cached
from .mg_cg import INNER_REDUCTION, MAX_ITERATIONS, dot, solve  # noqa: F401 (re-exported)
from .mg_memory import in_use, pool, scratch, trim
from .system import EdgeField

COARSEST_CELLS = 1024
THREADS: int | None = 1  # see "Threads" above
SERIAL_CELLS = 60_000  # smaller levels run on one thread: no barrier waits
CACHED_CELLS = 4096 ** 2  # larger regions' levels are not kept in the mask cache
BATCHED_CELLS = 2048 ** 2  # larger boxes solve their channels one at a time (memory)
# Peak bytes of a Poisson blend per cell of the region's box and per channel, beyond the
# result: a bound; tracemalloc measured 52-53 with the channels together, 28 one at a time
BYTES_PER_CELL = 96


@dataclass
class Level:
    """One grid of the pyramid (padded arrays, see :mod:`.mg_kernels`).

    ``stencil`` is the 9-point Galerkin operator (empty on the finest level,
    whose 5-point operator is ``diag``); ``diag`` is the operator's diagonal
    on the level's points (0 elsewhere) and ``invd`` its inverse; ``m1`` marks
    the point-active points; ``far`` the points whose whole neighbourhood is
    regular region (they share one stencil); ``orphans`` = (fine, coarse)
    index lists towards the next level (see :mod:`.mg_coarse`).
    """
    diag: np.ndarray
    stencil: np.ndarray
    far: np.ndarray
    m1: np.ndarray | None = None
    orphans: tuple | None = None

    def __post_init__(self):
        self.invd = k.positive_inverse(self.diag)
        self.invr = mc.row_safe_inverse(self.stencil) if self.stencil.shape[0] else None

    @property
    def shape(self) -> tuple[int, int]:
        return self.diag.shape[0] - 3, self.diag.shape[1] - 3

    def buffer(self, name: str, channels: int) -> np.ndarray:
        """A float32 work array (C, h + 3, w + 3) from :func:`scratch` (padding zero)."""
        return scratch(name, (channels, *self.diag.shape), np.float32)

    def vcycle_coarse(self, b, x, coarse: "Level", below):
        """One V-cycle from x = 0 on a Galerkin level; ``below(bc, xc)`` solves the next."""
        nc = b.shape[0]
        threads = numba.get_num_threads()
        if self.diag.size * nc < SERIAL_CELLS:
            numba.set_num_threads(1)
        try:
            self._vcycle_coarse(b, x, coarse, below, nc)
        finally:
            numba.set_num_threads(threads)

    def _vcycle_coarse(self, b, x, coarse, below, nc):
        mc.smooth_rows_from_zero(x, b, self.stencil, self.invr)
        r = self.buffer("r", nc)
        mc.residual9(x, b, self.stencil, r)
        bc, xc = coarse.buffer("b", nc), coarse.buffer("x", nc)
        mc.restrict(r, coarse.m1, self.shape[0], bc)
        mc.orphans_restrict(r, *self.orphans, bc)
        below(bc, xc)
        self.prolong_add(xc, coarse, x)
        mc.smooth_rows(x, b, self.stencil, self.invr, True)

    def vcycle_finest(self, b, x, coarse: "Level", below) -> np.ndarray:
        """The same on the 5-point finest level; returns <b, x> per channel (CG's <r, z>)."""
        nc, blocks = b.shape[0], 4 * numba.get_num_threads()
        bc, xc = coarse.buffer("b", nc), coarse.buffer("x", nc)
        k.smooth_restrict(x, b, self.invd, self.diag, coarse.m1, bc, blocks)
        k.orphan_residuals(x, b, self.diag, *self.orphans, bc)
        below(bc, xc)
        mc.orphans_prolong(xc, *self.orphans, x)
        return k.prolong_smooth_back(xc, coarse.m1, self.diag, x, b, self.invd, blocks)

    def prolong_add(self, xc, coarse: "Level", x):
        mc.prolong_add(xc, coarse.m1, self.diag, x)
        mc.orphans_prolong(xc, *self.orphans, x)


def truncated_sides(region: np.ndarray) -> tuple[bool, bool, bool, bool]:
    """(top, bottom, left, right): where the cropped region meets the array's edge.

    The crop (:func:`.solvers.bounding_crop`) meets the array's edge only at the
    image's edge, where the neighbourhood is truncated; elsewhere the crop keeps
    a one-pixel Dirichlet frame.
    """
    return (bool(region[0].any()), bool(region[-1].any()), bool(region[:, 0].any()),
            bool(region[:, -1].any()))


def finest_level(region: np.ndarray) -> Level:
    """The 5-point level of the region: |N_p| is 4 less the truncated sides p lies on."""
    diag = k.finest_diag(region, *truncated_sides(region))
    return Level(diag, np.zeros((0, 1, 1), np.float32), diag == 4)


def coarser_level(fine: Level) -> Level:
    """The Galerkin level P^T A P below ``fine`` (sets ``fine.orphans``)."""
    h, w = fine.shape
    hc, wc = coarse_size(h, fine.diag[h, 1:w + 1]), coarse_size(w, fine.diag[1:h + 1, w])
    kind = np.zeros((hc + 3, wc + 3), np.int8)
    orphan = np.zeros(fine.diag.shape, bool)
    mc.classify(fine.diag > 0, hc, wc, kind, orphan)
    fine.orphans = mc.orphan_index(orphan)
    far = np.zeros(kind.shape, bool)
    mc.far_points(fine.far, hc, wc, far)
    far &= kind == 1
    stencil = np.zeros((9, hc + 3, wc + 3), np.float32)
    mg_galerkin.galerkin(fine.stencil, fine.diag, orphan, kind, far, stencil)
    level = Level(stencil[4], stencil, far)
    level.m1 = (kind == 1).astype(np.float32)
    return level


def coarse_size(n: int, last_line: np.ndarray) -> int:
    """Coarse points along a side of n fine ones (coarse K is fine 2K).

    An even side whose last line holds region cells (a truncated image edge)
    gets n / 2, its odd last line taking the last coarse point alone (the
    far-edge copy: constants survive there).  Otherwise the side gets
    n // 2 + 1: for an even side, a coarse point beyond the grid, outside the
    region, so that the last line interpolates halfway to the Dirichlet zero.
    Measured: a square region leaving only the frame of an even-sized target
    took 10-11 CG steps with the copy everywhere (its coarse levels lost their
    Dirichlet frame), 5 with this.
    """
    return n // 2 if n % 2 == 0 and last_line.any() else n // 2 + 1


class Hierarchy:
    """The levels of one region and the sparse LU of the coarsest."""

    def __init__(self, region: np.ndarray):
        self.levels = [finest_level(region)]
        while (np.prod(self.levels[-1].shape) > COARSEST_CELLS
               and max(self.levels[-1].shape) > 2):
            self.levels.append(coarser_level(self.levels[-1]))
        coarsest = self.levels[-1]
        self.coarse_cells = coarsest.diag[1:-2, 1:-2] > 0
        self.coarse_lu = spla.splu(_matrix(coarsest, self.coarse_cells).tocsc())

    def coarse_solve(self, b: np.ndarray, x: np.ndarray) -> None:
        cells = self.coarse_cells
        inner = np.s_[:, 1:cells.shape[0] + 1, 1:cells.shape[1] + 1]
        view = x[inner]
        x.fill(0)
        view[:, cells] = self.coarse_lu.solve(b[inner][:, cells].T.astype(np.float64)).T

    def vcycle(self, b: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``x = M b``: one V-cycle from zero (b, x padded float32); returns <b, x>."""
        if len(self.levels) == 1:
            self.coarse_solve(b, x)
            return dot(b, x)
        return self.levels[0].vcycle_finest(b, x, self.levels[1], self._below(1))

    def _below(self, level: int):
        if level == len(self.levels) - 1:
            return self.coarse_solve
        lev, nxt, below = self.levels[level], self.levels[level + 1], self._below(level + 1)
        return lambda b, x: lev.vcycle_coarse(b, x, nxt, below)


def _matrix(level: Level, cells: np.ndarray) -> sp.csr_matrix:
    """The level's operator on its points as a sparse matrix (row-major order)."""
    h, w = cells.shape
    n = int(cells.sum())
    index = np.full((h + 2, w + 2), -1, np.int64)
    index[1:-1, 1:-1][cells] = np.arange(n)
    rows, cols, vals = [], [], []
    for kk in range(9):
        di, dj = kk // 3 - 1, kk % 3 - 1
        if level.stencil.shape[0]:
            coef = level.stencil[kk, 1:h + 1, 1:w + 1][cells]
        elif di == dj == 0:
            coef = level.diag[1:h + 1, 1:w + 1][cells]
        elif di == 0 or dj == 0:
            coef = -np.ones(n)
        else:
            continue
        nb = index[1 + di:h + 1 + di, 1 + dj:w + 1 + dj][cells]
        keep = (nb >= 0) & (coef != 0)
        rows.append(np.flatnonzero(keep))
        cols.append(nb[keep])
        vals.append(coef[keep])
    return sp.csr_matrix((np.concatenate(vals).astype(np.float64),
                          (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))


def levels_for(region: np.ndarray) -> Hierarchy:
    """The hierarchy of a cropped region, cached up to :data:`CACHED_CELLS` cells
    (a larger one would hold gigabytes after its solve)."""
    if region.size > CACHED_CELLS:
        return Hierarchy(region)
    return cached("mgpcg", region, lambda: Hierarchy(region))


def solve_grid(region: np.ndarray, fstar: np.ndarray, gh: np.ndarray, gv: np.ndarray,
               tol: float, start: np.ndarray | None = None, out: np.ndarray | None = None):
    """Solve Pérez Eq. 7 on a cropped region; returns (x (h, w, C), residual, iterations).

    ``x`` is ``out`` with the solution written on the region (default: a
    float64 copy of f*); ``start`` is the initial guess on the grid (default f*).
    """
    return solve_field(region, fstar, EdgeField(gh, gv), tol, start, out)


def solve_field(region: np.ndarray, fstar: np.ndarray, field, tol: float,
                start: np.ndarray | None = None, out: np.ndarray | None = None,
                clip: bool = False):
    """:func:`solve_grid` for any field of :mod:`.system` (``clip``: the values written
    into ``out`` are clipped to [0, 1]).

    The channels are split into groups (:func:`channel_groups`) solved side
    by side on :data:`THREADS` threads, each group's kernels on its share.
    """
    out = np.array(fstar, dtype=np.float64) if out is None else out
    threads = THREADS or numba.get_num_threads()
    groups = channel_groups(fstar.shape[2], region.size, threads)
    side_by_side = min(threads, len(groups))
    hier = levels_for(region)

    def run(ch):
        numba.set_num_threads(max(1, threads // side_by_side))  # this thread's setting only
        return _solve_channels(hier, region, fstar[:, :, ch], field.channels(ch), tol,
                               None if start is None else start[:, :, ch], out[:, :, ch], clip)

    before = numba.get_num_threads()
    in_use.clear()
    try:
        runs = (list(pool(side_by_side).map(run, groups)) if side_by_side > 1 else
                [run(ch) for ch in groups])
    finally:
        numba.set_num_threads(before)
        in_use.clear()
        trim()
    return out, max(r for r, _ in runs), [i for _, its in runs for i in its]


def channel_groups(channels: int, cells: int, threads: int) -> list[slice]:
    """Channel slices solved together: one group per thread (kernels on several threads
    wait at a barrier after every pass, channels side by side never do); one channel a
    group above :data:`BATCHED_CELLS` cells, which divides the work arrays (~32 bytes a
    cell per channel) by the channels."""
    if cells > BATCHED_CELLS:
        return [np.s_[c:c + 1] for c in range(channels)]
    bounds = np.linspace(0, channels, min(threads, channels) + 1).round().astype(int)
    return [np.s_[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def _solve_channels(hier, region, fstar, field, tol, start, out, clip):
    """Solve the channels of ``fstar`` together into ``out``; (residual, iterations)."""
    h, w, nc = fstar.shape
    b, x = (scratch(name, (nc, h + 3, w + 3), np.float64) for name in ("b64", "x64"))
    field.padded_rhs(region, fstar, b)  # the padding and off-region cells stay 0
    residual, iterations = solve(hier, b, x, tol, fstar if start is None else start, region)
    k.copy_region(out, region, x, False, clip)
    return residual, iterations
