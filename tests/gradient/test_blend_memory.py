"""Poisson blending's peak memory follows the region, plus the target's own pixels once.

The rule the 8K bench (bench/poisson_big.py) is checked against, on small
cases: tracemalloc sees every NumPy array the blend allocates (the inputs are
made before it starts), so its peak is the blend's working set.
"""
import tracemalloc

import numpy as np
import pytest

from imgfusion.gradient import mask_cache, mg_memory, mgpcg
from imgfusion.gradient.blending import poisson_blend


def blend_peak(n_target, n_region, solver="mgpcg"):
    """(peak bytes, target bytes, box cells) of pasting a square region into the centre."""
    rng = np.random.default_rng(0)
    target = rng.random((n_target, n_target, 3), dtype=np.float32)
    source = rng.random((n_region, n_region, 3), dtype=np.float32)
    mask = np.ones((n_region, n_region), bool)
    mask[0, 0] = False  # not a plain rectangle
    at = ((n_target - n_region) // 2,) * 2
    mask_cache.clear()
    mg_memory._SCRATCH.clear()  # no pooled work array from an earlier test is counted as free
    tracemalloc.start()
    try:
        result = poisson_blend(source, target, mask, offset=at, solver=solver, tol=1e-6)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.info["residual"] <= 1e-6
    return peak, target.nbytes, (n_region + 2) ** 2


@pytest.fixture(autouse=True, scope="module")
def compiled():
    blend_peak(160, 100)  # numba loads every kernel of a multigrid cycle outside any measure


@pytest.mark.parametrize("n_target, n_region", [(600, 300), (600, 598), (900, 120)])
def test_peak_memory_is_the_region_s_working_set_plus_one_target(n_target, n_region):
    peak, target_bytes, cells = blend_peak(n_target, n_region)
    assert peak <= 1.5 * target_bytes + mgpcg.BYTES_PER_CELL * 3 * cells


def test_a_larger_target_costs_only_its_own_pixels_again():
    small, small_bytes, _ = blend_peak(500, 200)
    large, large_bytes, _ = blend_peak(1000, 200)
    assert large - small <= 1.5 * (large_bytes - small_bytes)
