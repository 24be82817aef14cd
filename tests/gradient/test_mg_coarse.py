"""The coarse levels of mgpcg: the far points' shared stencil and the zebra smoother."""
import numpy as np
import pytest

from imgfusion.gradient import mg_coarse as mc
from imgfusion.gradient import mgpcg


def regions():
    rr, cc = np.mgrid[:90, :101]
    ellipse = ((rr - 45) / 40.0) ** 2 + ((cc - 50) / 44.0) ** 2 < 1
    touching = (rr < 60) & (cc > 20)          # truncated at the top and right edges
    holes = ellipse.copy()
    holes[10::9, 7::11] = False                # one-pixel holes inside
    lines = ellipse & ((rr % 7 == 3) | (cc % 9 == 4))
    noisy = np.random.default_rng(3).random((90, 101)) < 0.85
    return {"ellipse": ellipse, "touching": touching, "holes": holes, "lines": lines,
            "noisy": noisy}


@pytest.mark.parametrize("name", list(regions()))
def test_far_points_share_the_stencil_the_point_by_point_product_gives(name, monkeypatch):
    monkeypatch.setattr(mgpcg, "COARSEST_CELLS", 16)
    region = regions()[name]
    shortcut = mgpcg.Hierarchy(region)
    assert shortcut.levels[1].far.any() == (name != "lines")  # no regular 5 x 5 in lines
    monkeypatch.setattr(mc, "far_points", lambda fine_far, hc, wc, far: None)  # none far
    full = mgpcg.Hierarchy(region)
    assert len(full.levels) == len(shortcut.levels) > 3
    for a, b in zip(shortcut.levels[1:], full.levels[1:]):
        np.testing.assert_allclose(a.stencil, b.stencil, atol=1e-6)


@pytest.mark.parametrize("reverse", [False, True])
def test_a_zebra_half_sweep_is_jacobi_on_its_rows_and_leaves_the_others(reverse):
    region = regions()["holes"]
    level = mgpcg.Hierarchy(region).levels[1]
    rng = np.random.default_rng(0)
    points = level.diag > 0
    b = (rng.standard_normal((2, *level.diag.shape)) * points).astype(np.float32)
    x0 = (rng.standard_normal(b.shape) * points).astype(np.float32)
    x = x0.copy()
    mc.smooth_rows(x, b, level.stencil, level.invr, reverse)
    expected = x0.astype(np.float64)
    for parity in ((1, 0) if reverse else (0, 1)):
        rows = np.zeros(level.diag.shape, bool)
        rows[1 + parity:-2:2] = True
        update = level.invr * (b - _apply(level.stencil, expected)) + expected
        expected = np.where(rows & points, update, expected)
    np.testing.assert_allclose(x, expected, atol=1e-4)


def test_the_row_safe_diagonal_dominates_each_rows_own_couplings():
    stencil = np.zeros((9, 4, 5), np.float32)
    stencil[4, 1:3, 1:3] = 3.0
    stencil[3, 1:3, 1:3] = stencil[5, 1:3, 1:3] = -0.5
    stencil[5, 1, 1] = -3.0                    # a row whose neighbours outweigh the centre
    inv = mc.row_safe_inverse(stencil)
    assert inv[2, 2] == pytest.approx(1 / 3.0) and inv[1, 1] == pytest.approx(1 / 3.5)
    assert inv[0, 0] == 0 and inv[3, 4] == 0


def _apply(stencil, x):
    """S x on padded (C, hp, wp) arrays (zero outside)."""
    out = np.zeros_like(x)
    hp, wp = x.shape[1:]
    for k in range(9):
        di, dj = k // 3 - 1, k % 3 - 1
        out[:, 1:hp - 2, 1:wp - 2] += (stencil[k, 1:hp - 2, 1:wp - 2]
                                       * x[:, 1 + di:hp - 2 + di, 1 + dj:wp - 2 + dj])
    return out


def test_the_sweep_from_zero_ignores_what_x_held():
    level = mgpcg.Hierarchy(regions()["touching"]).levels[1]
    rng = np.random.default_rng(2)
    b = (rng.standard_normal((3, *level.diag.shape)) * (level.diag > 0)).astype(np.float32)
    zero = np.zeros_like(b)
    mc.smooth_rows(zero, b, level.stencil, level.invr, False)
    held = zero + rng.standard_normal(b.shape).astype(np.float32)
    held[:, 0] = held[:, -2:] = held[:, :, 0] = held[:, :, -2:] = 0  # the padding stays 0
    mc.smooth_rows_from_zero(held, b, level.stencil, level.invr)
    np.testing.assert_allclose(held, zero, atol=1e-5)
