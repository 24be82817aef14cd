import numpy as np
import pytest

from gradient_helpers import ellipse_with_hole
from imgfusion.errors import ParameterError
from imgfusion.gradient.solvers import solve_region
from imgfusion.gradient.tiling import seamless_tile
from imgfusion.gradient.system import assemble, forward_differences

EXACT = ["direct", "cg", "multigrid", "mgpcg"]


def problem(smooth_image, h=20, w=26, seed=0):
    target = smooth_image((h, w), seed=seed, low=0.15, high=0.85).astype(np.float64)
    source = smooth_image((h, w), seed=seed + 1, low=0.15, high=0.85).astype(np.float64)
    region = ellipse_with_hole(h, w)
    return region, target, forward_differences(source)


def test_matrix_is_symmetric_positive_definite_with_truncated_diagonal(smooth_image):
    region, target, (gh, gv) = problem(smooth_image, 8, 9)
    region[0, :] = True  # touches the top edge: truncated neighbourhoods there
    a, b = assemble(region, target, gh, gv)
    dense = a.toarray()
    np.testing.assert_array_equal(dense, dense.T)
    assert np.linalg.eigvalsh(dense).min() > 0
    counts = np.diag(dense)[: region[0].sum()]  # the first unknowns are row 0
    assert counts[0] == 2 and counts[-1] == 2 and set(counts[1:-1]) == {3}
    assert b.shape == (region.sum(), 3)


@pytest.mark.parametrize("solver", EXACT)
def test_exact_solvers_agree_and_report_a_small_residual(smooth_image, solver):
    region, target, fields = problem(smooth_image)
    ref, _ = solve_region(region, target, *fields, solver="direct")
    out, info = solve_region(region, target, *fields, solver=solver, tol=1e-10)
    assert info["solver"] == solver and info["unknowns"] == region.sum()
    assert info["residual"] < 1e-8
    assert np.abs(out - ref).max() < 1e-7
    np.testing.assert_array_equal(out[~region], target[~region])


def test_auto_picks_direct_for_small_regions(smooth_image):
    region, target, fields = problem(smooth_image)
    assert solve_region(region, target, *fields)[1]["solver"] == "direct"


def test_fft_is_an_approximation_close_to_the_exact_solution(smooth_image):
    region, target, fields = problem(smooth_image, 40, 44)
    exact, _ = solve_region(region, target, *fields, solver="direct")
    approx, info = solve_region(region, target, *fields, solver="fft")
    assert info["residual"] is None
    err = np.abs(approx - exact)[region]
    # approximate (the box re-solve ignores the hole's and rim's Dirichlet values) but close
    assert err.max() > 1e-3 and err.mean() < 0.05
    np.testing.assert_array_equal(approx[~region], target[~region])


@pytest.mark.parametrize("box", [np.s_[3:9, 4:12], np.s_[0:9, 4:12], np.s_[3:, 0:12],
                                 np.s_[:, 5:9], np.s_[0:6, :], np.s_[2:, 2:]])
def test_fft_is_exact_when_the_region_is_a_rectangle(smooth_image, box):
    region, target, fields = problem(smooth_image, 14, 16)
    region[:] = False
    region[box] = True
    exact, _ = solve_region(region, target, *fields, solver="direct")
    approx, _ = solve_region(region, target, *fields, solver="fft")
    assert np.abs(approx - exact).max() < 1e-6  # float32 transforms


def test_whole_image_region_is_refused(smooth_image):
    region, target, fields = problem(smooth_image, 6, 6)
    with pytest.raises(ParameterError) as err:
        solve_region(np.ones((6, 6), bool), target, *fields)
    assert err.value.field == "mask"


@pytest.mark.parametrize("bad", [{"solver": "lsqr"}, {"tol": 0}, {"tol": 0.6}])
def test_bad_solver_and_tol_are_named_by_the_declaration(smooth_image, bad):
    """Checked once, by the operators' signatures: tol above 0.5 is refused like tol 0."""
    image = smooth_image((6, 6), seed=0).astype(np.float32)
    with pytest.raises(ParameterError) as err:
        seamless_tile(image, **bad)
    assert err.value.field == next(iter(bad))
