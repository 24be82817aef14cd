"""The matrix-free multigrid solver (mgpcg) against the sparse direct solve.

Small sizes keep the first-call cost (numba loads or compiles its kernels once
per machine) out of the suite's budget; COARSEST_CELLS is lowered so that even
these grids get several multigrid levels.
"""
import numpy as np
import pytest

from gradient_helpers import ellipse_with_hole
from imgfusion.gradient import mask_cache, mg_memory, mgpcg
from imgfusion.gradient.blending import mixed_blend, poisson_blend
from imgfusion.gradient.solvers import solve_region
from imgfusion.gradient.system import forward_differences


@pytest.fixture(autouse=True)
def deep_hierarchy(monkeypatch):
    monkeypatch.setattr(mgpcg, "COARSEST_CELLS", 16)
    mask_cache.clear()
    yield
    mask_cache.clear()


def masks(h, w):
    rr, cc = np.mgrid[:h, :w]
    lines = np.zeros((h, w), bool)
    lines[5, 2:-2] = True            # a one-pixel line on an odd row (orphans)
    lines[2:-2, 7] = True
    lines[h - 4, 3:w - 3] = True
    several = np.zeros((h, w), bool)
    several[2:7, 2:9] = True
    several[10:14, 12:20] = True
    several[h - 5:h - 2, 1:4] = True
    ring = ellipse_with_hole(h, w)
    border = np.zeros((h, w), bool)
    border[:, :] = (rr < 6) | (cc > w - 5) | ((rr - h) ** 2 + cc ** 2 < 60)
    border[h // 2, w // 2] = True
    corner = np.zeros((h, w), bool)
    corner[: h // 2, : w // 2] = True
    almost_all = np.ones((h, w), bool)
    almost_all[h // 2, w // 3] = False
    holes = ring.copy()
    holes[::4, ::5] = False          # many one-pixel holes
    return {"hole": ring, "thin lines": lines, "components": several, "borders": border,
            "corner": corner, "all but one pixel": almost_all, "pepper holes": holes,
            "single pixel": (rr == 9) & (cc == 10), "odd row line": (rr == 9) & (cc > 1)}


@pytest.mark.parametrize("name", list(masks(24, 27)))
@pytest.mark.parametrize("shape", [(24, 27), (31, 30)])
def test_mgpcg_matches_the_direct_solve(smooth_image, name, shape):
    region = masks(*shape)[name]
    target = smooth_image(shape, seed=1, low=0.15, high=0.85).astype(np.float64)
    fields = forward_differences(smooth_image(shape, seed=2, low=0.15, high=0.85).astype(np.float64))
    ref, _ = solve_region(region, target, *fields, solver="direct")
    out, info = solve_region(region, target, *fields, solver="mgpcg", tol=1e-10)
    assert info["solver"] == "mgpcg" and info["residual"] <= 1e-10
    assert np.abs(out - ref).max() < 1e-8
    np.testing.assert_array_equal(out[~region], target[~region])


def test_the_multigrid_cycle_is_a_symmetric_positive_definite_preconditioner():
    region = masks(31, 30)["thin lines"] | masks(31, 30)["hole"]
    hier = mgpcg.Hierarchy(region)
    assert len(hier.levels) >= 3
    rng = np.random.default_rng(0)
    inside = hier.levels[0].diag > 0
    u, v = (rng.standard_normal((2, *inside.shape)).astype(np.float32) * inside
            for _ in range(2))
    mu, mv = np.zeros_like(u), np.zeros_like(v)
    hier.vcycle(u, mu)
    hier.vcycle(v, mv)
    assert np.isclose((v * mu).sum(), (u * mv).sum(), rtol=1e-4)
    assert (u * mu).sum(axis=(1, 2)).min() > 0


def test_galerkin_levels_equal_the_sparse_triple_product():
    region = masks(24, 27)["hole"] | masks(24, 27)["thin lines"]
    hier = mgpcg.Hierarchy(region)
    fine, coarse = hier.levels[0], hier.levels[1]
    cells = fine.diag[1:-2, 1:-2] > 0
    coarse_cells = coarse.diag[1:-2, 1:-2] > 0
    prolong = np.zeros((cells.sum(), coarse_cells.sum()))
    for col, (i, j) in enumerate(np.argwhere(coarse_cells)):
        xc = np.zeros((1, *coarse.diag.shape), np.float32)
        xc[0, i + 1, j + 1] = 1
        x = np.zeros((1, *fine.diag.shape), np.float32)
        fine.prolong_add(xc, coarse, x)
        prolong[:, col] = x[0, 1:-2, 1:-2][cells]
    a = mgpcg._matrix(fine, cells).toarray()
    galerkin = mgpcg._matrix(coarse, coarse_cells).toarray()
    np.testing.assert_allclose(galerkin, prolong.T @ a @ prolong, atol=1e-5)
    assert np.linalg.matrix_rank(prolong) == prolong.shape[1]  # orphans keep P full rank


def test_the_same_mask_reuses_its_setup(smooth_image):
    region = masks(24, 27)["hole"]
    target = smooth_image((24, 27), seed=1, low=0.15, high=0.85).astype(np.float64)
    for seed in (2, 3):  # two "frames" under one mask
        fields = forward_differences(smooth_image((24, 27), seed=seed, low=0.15, high=0.85).astype(np.float64))
        solve_region(region, target, *fields, solver="mgpcg")
    assert mask_cache.stats["misses"] == 1 and mask_cache.stats["hits"] == 1


def test_work_arrays_shared_by_masks_of_one_size_carry_nothing_over(smooth_image):
    shape = (24, 27)
    target = smooth_image(shape, seed=1, low=0.15, high=0.85).astype(np.float64)
    fields = forward_differences(smooth_image(shape, seed=2, low=0.15, high=0.85).astype(np.float64))
    framed = np.zeros(shape, bool)
    framed[1:-1, 1:-1] = True  # every mask below spans this box: one crop size
    solids = [framed, masks(*shape)["pepper holes"] | ~framed, framed & ~masks(*shape)["thin lines"]]
    solids = [m & framed for m in solids]
    solids[1][1, 1] = solids[1][-2, -2] = True
    mg_memory._SCRATCH.clear()
    results = {}
    for region in solids + solids[::-1]:  # the second pass finds the others' work arrays
        ref, _ = solve_region(region, target, *fields, solver="direct")
        out, info = solve_region(region, target, *fields, solver="mgpcg", tol=1e-10)
        assert info["residual"] <= 1e-10 and np.abs(out - ref).max() < 1e-8
        results.setdefault(region.tobytes(), []).append(out)
    assert all(np.array_equal(*pair) for pair in results.values())  # reused = fresh, bit for bit
    assert len(results) == 3


@pytest.mark.parametrize("blend", [poisson_blend, mixed_blend])
def test_soft_masks_and_mixed_gradients_agree_with_direct(smooth_image, blend):
    source = smooth_image((26, 29), seed=3, low=0.3, high=0.7)
    target = smooth_image((26, 29), seed=4, low=0.3, high=0.7)
    alpha = np.clip(ellipse_with_hole(26, 29) * 1.0 - 0.3 * masks(26, 29)["thin lines"], 0, 1)
    alpha[0, 3:9] = 0.5  # soft, touching the border
    ref = blend(source, target, alpha, solver="direct").image
    out, info = blend(source, target, alpha, solver="mgpcg", tol=1e-10)
    assert info["residual"] <= 1e-10
    assert np.abs(out - ref).max() < 1e-6  # float32 results


@pytest.mark.parametrize("name", ["hole", "thin lines", "components", "borders",
                                  "all but one pixel", "single pixel"])
def test_the_torch_solver_matches_the_direct_solve_on_the_cpu_device(smooth_image, name):
    from imgfusion.gradient.mgpcg_torch import solve_grid
    from imgfusion.gradient.solvers import bounding_crop

    shape = (31, 30)
    region = masks(*shape)[name]
    target = smooth_image(shape, seed=1, low=0.15, high=0.85).astype(np.float64)
    gh, gv = forward_differences(smooth_image(shape, seed=2, low=0.15, high=0.85).astype(np.float64))
    ref, _ = solve_region(region, target, gh, gv, solver="direct")
    rows, cols = bounding_crop(region)
    reg = region[rows, cols]
    x, residual, _ = solve_grid(reg, target[rows, cols], gh[rows, cols.start:cols.stop - 1],
                                gv[rows.start:rows.stop - 1, cols], 1e-10, device="cpu")
    assert residual <= 1e-10
    assert np.abs(x[reg] - ref[rows, cols][reg]).max() < 1e-8


def test_a_gpu_device_is_refused_clearly_without_one_or_with_a_cpu_only_solver(smooth_image):
    import torch

    from imgfusion.errors import ParameterError

    img = smooth_image((12, 12), seed=1, low=0.15, high=0.85)
    region = masks(12, 12)["corner"]
    with pytest.raises(ParameterError) as err:
        poisson_blend(img, img, region, solver="direct", device="cuda").image
    assert err.value.field == "solver"
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError) as err:
            poisson_blend(img, img, region, device="cuda").image
        assert err.value.field == "device"
    with pytest.raises(ParameterError, match="device"):
        poisson_blend(img, img, region, device="tpu").image


@pytest.mark.parametrize("solver", ["mgpcg", "direct"])
def test_a_callers_out_array_gets_the_region_and_nothing_else(smooth_image, solver):
    shape = (24, 27)
    region = masks(*shape)["hole"] | masks(*shape)["borders"]
    target = smooth_image(shape, seed=1, low=0.15, high=0.85).astype(np.float64)
    fields = forward_differences(smooth_image(shape, seed=2, low=0.15, high=0.85).astype(np.float64))
    ref, _ = solve_region(region, target, *fields, solver="direct")
    out = np.full((*shape, 4), 7.0, np.float32)  # a float32 view with a fourth channel, as the blends pass
    got, info = solve_region(region, target, *fields, solver=solver, tol=1e-10, out=out[:, :, :3])
    assert np.shares_memory(got, out) and info["solver"] == solver
    np.testing.assert_allclose(out[:, :, :3][region], ref[region], atol=1e-6)
    assert (out[:, :, :3][~region] == 7).all() and (out[:, :, 3] == 7).all()


def test_channels_solved_one_at_a_time_agree_and_the_pool_is_trimmed_after(smooth_image,
                                                                           monkeypatch):
    shape = (24, 27)
    region = masks(*shape)["hole"] | masks(*shape)["borders"]
    target = smooth_image(shape, seed=1, low=0.15, high=0.85).astype(np.float64)
    fields = forward_differences(smooth_image(shape, seed=2, low=0.15, high=0.85).astype(np.float64))
    ref, _ = solve_region(region, target, *fields, solver="direct")
    monkeypatch.setattr(mgpcg, "BATCHED_CELLS", 0)  # every box is "large"
    monkeypatch.setattr(mg_memory, "SCRATCH_BYTES", 4096)
    out, info = solve_region(region, target, *fields, solver="mgpcg", tol=1e-10)
    assert info["residual"] <= 1e-10 and len(info["iterations"]) == 3
    assert np.abs(out - ref).max() < 1e-8
    assert sum(a.nbytes for a in mg_memory._SCRATCH.values()) <= 4096


def test_channel_groups_follow_threads_and_size(monkeypatch):
    monkeypatch.setattr(mgpcg, "BATCHED_CELLS", 100)
    assert mgpcg.channel_groups(3, 50, 1) == [np.s_[0:3]]
    assert mgpcg.channel_groups(3, 50, 2) == [np.s_[0:2], np.s_[2:3]]
    assert mgpcg.channel_groups(1, 50, 2) == [np.s_[0:1]]
    assert mgpcg.channel_groups(3, 101, 1) == [np.s_[0:1], np.s_[1:2], np.s_[2:3]]


def test_channel_groups_on_two_threads_give_the_one_thread_result(smooth_image, monkeypatch):
    shape = (31, 30)
    region = masks(*shape)["hole"] | masks(*shape)["thin lines"]
    target = smooth_image(shape, seed=1, low=0.15, high=0.85).astype(np.float64)
    fields = forward_differences(smooth_image(shape, seed=2, low=0.15, high=0.85).astype(np.float64))
    one, _ = solve_region(region, target, *fields, solver="mgpcg", tol=1e-10)
    monkeypatch.setattr(mgpcg, "THREADS", 2)
    two, info = solve_region(region, target, *fields, solver="mgpcg", tol=1e-10)
    assert info["residual"] <= 1e-10 and len(info["iterations"]) == 3
    np.testing.assert_allclose(two, one, rtol=0, atol=1e-12)
