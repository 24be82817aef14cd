"""The fused finest-level kernels of mgpcg against plain NumPy versions of the passes they fuse."""
import numpy as np
import pytest

from gradient_helpers import ellipse_with_hole
from imgfusion.gradient import mg_coarse as mc
from imgfusion.gradient import mg_kernels as k
from imgfusion.gradient import mgpcg


def region_of(kind, h, w):
    region = ellipse_with_hole(h, w)
    if kind == "lines":
        region[5, 1:-1] = True  # a one-pixel line on an odd row: orphans
        region[:, 3] = True     # touches the top and bottom edges: truncated rows
    return region


def neighbours(x):
    """Sum of the 4 neighbours of every cell of padded (C, hp, wp) arrays (zero outside)."""
    s = np.zeros_like(x)
    s[:, 1:] += x[:, :-1]
    s[:, :-1] += x[:, 1:]
    s[:, :, 1:] += x[:, :, :-1]
    s[:, :, :-1] += x[:, :, 1:]
    return s


def colour(shape, red):
    i, j = np.indices(shape)
    return ((i + j) % 2 == 0) == red


def sweep(x, b, invd, red):
    new = invd * (b + neighbours(x))
    return np.where(colour(x.shape[1:], red), new, x)


def prolongation(fine, coarse):
    """P as a dense matrix (fine padded cells x coarse padded cells), orphans included."""
    size = coarse.diag.size
    cols = []
    for n in range(size):
        xc = np.zeros((1, size), np.float32)
        xc[0, n] = 1
        x = np.zeros((1, *fine.diag.shape), np.float32)
        fine.prolong_add(xc.reshape(1, *coarse.diag.shape), coarse, x)
        cols.append(x.ravel())
    return np.stack(cols, axis=1).astype(np.float64)


@pytest.fixture(params=[("hole", (24, 27)), ("lines", (31, 30))], ids=["hole", "lines"])
def two_levels(request, monkeypatch):
    monkeypatch.setattr(mgpcg, "COARSEST_CELLS", 16)  # several levels even on these grids
    kind, shape = request.param
    hier = mgpcg.Hierarchy(region_of(kind, *shape))
    fine, coarse = hier.levels[0], hier.levels[1]
    rng = np.random.default_rng(1)
    b = (rng.standard_normal((2, *fine.diag.shape)) * (fine.diag > 0)).astype(np.float32)
    return fine, coarse, b, rng


@pytest.mark.parametrize("blocks", [1, 3, 7, 64])
def test_smooth_restrict_is_a_sweep_from_zero_then_the_restricted_residual(two_levels, blocks):
    fine, coarse, b, _ = two_levels
    x = np.full_like(b, 9.0)  # a used work array: every cell is written
    x[:, 0], x[:, -2:], x[:, :, 0], x[:, :, -2:] = 0, 0, 0, 0  # (but not the padding)
    out = np.full((2, *coarse.diag.shape), 5.0, np.float32)
    k.smooth_restrict(x, b, fine.invd, fine.diag, coarse.m1, out, blocks)
    k.orphan_residuals(x, b, fine.diag, *fine.orphans, out)
    ref_x = sweep(sweep(np.zeros_like(b), b, fine.invd, True), b, fine.invd, False)
    np.testing.assert_allclose(x, ref_x, atol=1e-5)
    residual = np.where(fine.diag > 0, b - (fine.diag * ref_x - neighbours(ref_x)), 0)
    restricted = (residual.reshape(2, -1) @ prolongation(fine, coarse)).reshape(out.shape)
    inner = np.s_[:, 1:-2, 1:-2]
    np.testing.assert_allclose(out[inner], restricted[inner], atol=1e-4)


@pytest.mark.parametrize("blocks", [1, 3, 7, 64])
def test_prolong_smooth_back_adds_the_correction_then_sweeps_black_then_red(two_levels, blocks):
    fine, coarse, b, rng = two_levels
    x = (rng.standard_normal(b.shape) * (fine.diag > 0)).astype(np.float32)
    xc = (rng.standard_normal((2, *coarse.diag.shape)) * (coarse.diag > 0)).astype(np.float32)
    ref = x.copy()
    mc.prolong_add(xc, coarse.m1, fine.diag, ref)
    ref = sweep(sweep(ref, b, fine.invd, False), b, fine.invd, True)
    dot = k.prolong_smooth_back(xc, coarse.m1, fine.diag, x, b, fine.invd, blocks)
    np.testing.assert_allclose(x, ref, atol=1e-5)
    np.testing.assert_allclose(dot, (b.astype(np.float64) * ref).sum(axis=(1, 2)), rtol=1e-5)


@pytest.mark.parametrize("partial", [False, True], ids=["guide everywhere", "guide inside"])
def test_the_guide_field_gives_the_right_hand_side_of_its_differences(smooth_image, partial):
    from imgfusion.gradient.system import EdgeField, GuideField
    region = region_of("lines", 31, 30)
    fstar = smooth_image((31, 30), seed=1).astype(np.float64)
    inside = None
    if partial:  # the guide (a pasted source) misses a band that the region crosses
        inside = np.ones((31, 30), bool)
        inside[:, 20:23] = False
    field = GuideField(smooth_image((31, 30), seed=2), inside)
    via_guide, via_edges = (np.full((3, 34, 33), 7.0) for _ in range(2))
    for arr in (via_guide, via_edges):
        arr[:, 0], arr[:, -2:], arr[:, :, 0], arr[:, :, -2:] = 0, 0, 0, 0
    field.padded_rhs(region, fstar, via_guide)
    EdgeField(*field.edges(fstar)).padded_rhs(region, fstar, via_edges)
    np.testing.assert_allclose(via_guide, via_edges, rtol=1e-12, atol=1e-15)
    assert (via_guide[:, 1:-2, 1:-2][:, ~region] == 0).all()
