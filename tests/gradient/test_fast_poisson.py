import itertools

import numpy as np
import pytest

from imgfusion.gradient.fast_poisson import solve_rectangle


def dense_laplacian(n_r, n_c, top, bottom, left, right):
    """5-point Laplacian of a rectangle; a non-Dirichlet side is truncated."""
    def axis(n, lo, hi):
        t = 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
        if not lo:
            t[0, 0] -= 1
        if not hi:
            t[-1, -1] -= 1
        return t
    return (np.kron(axis(n_r, top, bottom), np.eye(n_c))
            + np.kron(np.eye(n_r), axis(n_c, left, right)))


@pytest.mark.parametrize("sides", [s for s in itertools.product([True, False], repeat=4)
                                   if any(s)])
def test_matches_a_dense_solve_for_every_boundary_mix(sides):
    rng = np.random.default_rng(1)
    b = rng.standard_normal((5, 7, 2))
    x = solve_rectangle(b, sides)
    lap = dense_laplacian(5, 7, *sides)
    for k in range(2):
        np.testing.assert_allclose(lap @ x[:, :, k].ravel(), b[:, :, k].ravel(), atol=1e-5)  # float32 transforms


def test_all_truncated_is_solved_up_to_a_constant():
    rng = np.random.default_rng(2)
    b = rng.standard_normal((6, 4, 1))
    b -= b.mean()  # the singular system is only consistent for zero-mean b
    x = solve_rectangle(b, (False, False, False, False))
    lap = dense_laplacian(6, 4, False, False, False, False)
    np.testing.assert_allclose(lap @ x[:, :, 0].ravel(), b.ravel(), atol=1e-5)  # float32 transforms
    assert abs(x.mean()) < 1e-6


@pytest.mark.parametrize("shape", [(2, 1, 1), (1, 6, 9), (3, 9, 4), (2, 31, 30)])
def test_the_fft_modes_transform_and_eliminate_solve_matches_a_dense_solve(shape):
    from imgfusion.gradient.fast_poisson import solve_dirichlet

    rng = np.random.default_rng(3)
    b = rng.standard_normal(shape).astype(np.float32)
    x = solve_dirichlet(b.copy())
    assert x.dtype == np.float32 and x.shape == shape
    lap = dense_laplacian(*shape[1:], True, True, True, True)
    for c in range(shape[0]):
        exact = np.linalg.solve(lap, b[c].ravel().astype(np.float64))
        # float32: an error of a few float32 roundings times the solution's size
        assert np.abs(x[c].ravel() - exact).max() < 1e-5 * np.abs(exact).max()
